"""A CR saved as a web page: text with cells split by tabs, head and scripts left out."""

from __future__ import annotations

from daemon.ingest.reports.html_text import html_to_text, looks_like_html


def test_cells_become_tabs_and_blocks_lines() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>ONDE</title><style>td{}</style></head><body>"
        "<h1>Compte rendu d&#39;import</h1><p>École : X<br>Fichier : a.zip</p>"
        "<table><tr><th>Nom</th><th>Prénom</th></tr><tr><td>MARTIN</td><td>Léa &amp; co</td></tr>"
        "</table><script>var x = 1;</script></body></html>"
    )
    assert looks_like_html(page)
    assert html_to_text(page).splitlines() == [
        "Compte rendu d'import",
        "École : X",
        "Fichier : a.zip",
        "Nom\tPrénom",
        "MARTIN\tLéa & co",
    ]


def test_plain_text_is_not_html() -> None:
    assert not looks_like_html("Compte rendu d'import\nÉlèves lus : 3 <4\n")
