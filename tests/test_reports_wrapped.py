"""Lines a text printer cut at the page's width, joined again (columns kept)."""

from __future__ import annotations

from daemon.ingest.reports.wrapped import Fragment, unwrap

STEP, PITCH = 6.0, 10.0


def printed(*lines: str, top: float = 100.0) -> list[Fragment]:
    """Monospace lines as a printer draws them: one fragment a line, at the left margin."""
    return [
        (0, 20.0, top + PITCH * n, 10.0, text, len(text) * STEP, STEP, STEP)
        for n, text in enumerate(lines)
        if text
    ]


def texts(page: list[Fragment]) -> list[tuple[float, str]]:
    return [(f[2], f[4].rstrip()) for f in page]


def test_lines_cut_at_the_width_are_joined_and_the_lines_below_move_up() -> None:
    page = printed(
        "Nom      Message                Gr",  # 34 columns: the printer's width
        "avité",
        "-------  ---------------------  --",
        "-----",
        "MARTIN   Code postal incohérent Re",
        "jet",
        "         avec la commune",
    )
    assert texts(unwrap([page])[0]) == [
        (100.0, "Nom      Message                Gravité"),
        (110.0, "-------  ---------------------  -------"),
        (120.0, "MARTIN   Code postal incohérent Rejet"),
        (130.0, "         avec la commune"),
    ]


def test_a_page_wide_table_that_fits_is_left_alone() -> None:
    page = printed(
        "Nom      Message                Gravité",
        "-------  ---------------------  -------",
        "MARTIN   Code postal incohérent Rejet",
        "PETIT    Voie à renseigner      Rejet",
    )
    assert unwrap([page]) == [page]


def test_a_line_cut_at_the_bottom_of_a_page_goes_on_at_the_top_of_the_next() -> None:
    first = printed("Nom      Message      Gr", "avité", "MARTIN   Commune inconnu")
    header = [(0, 300.0, 40.0, 12.0, "cr.txt   1", 60.0, 7.0, 7.0)]  # the printer's, bold
    second = header + printed("e, veuillez vérifier", "PETIT    Voie", top=80.0)
    pages = unwrap([first, second])
    assert texts(pages[0])[-1] == (110.0, "MARTIN   Commune inconnue, veuillez vérifier")
    assert texts(pages[1]) == [(40.0, "cr.txt   1"), (80.0, "PETIT    Voie")]  # moved up
