"""The dashboard's « Écoles par étape » rows built in Python: the same links as before, every
name escaped and quoted, the lists only where a circonscription has a name."""

from __future__ import annotations

from daemon.web.stage_table import stage_rows
from db.dashboard import StageCounts

STAGES = ["awaiting_export", "errors", "validated"]


def test_rows_link_each_count_to_its_view_and_escape_every_name() -> None:
    hostile = 'Saint-Malo <script>"&'
    district = StageCounts("Tout le district", {"errors": 2, "validated": 1}, 3, 1)
    circonscription = StageCounts(hostile, {"errors": 2, "validated": 1}, 3, 0)
    nameless = StageCounts("(sans circonscription)", {"awaiting_export": 1}, 1, 0)
    first, second, third = (
        str(r) for r in stage_rows(district, [circonscription, nameless], STAGES)
    )
    assert first.startswith('<tr class="total"><th scope="row">Tout le district</th>')
    assert '<td class="num">0</td>' in first  # nothing awaits its export: no link
    assert '<a href="/ecoles?etape=errors">2</a>' in first
    assert '<td class="num">33 %</td><td class="num">33 %</td>' in first
    assert 'href="/eleves-sans-ine.csv"' in first and 'href="/anomalies.csv"' in first
    quoted = "Saint-Malo%20%3Cscript%3E%22%26"
    assert "<script>" not in second and "Saint-Malo &lt;script&gt;&#34;&amp;" in second
    assert f'<a href="/ecoles?circonscription={quoted}">' in second
    assert f'<a href="/ecoles?etape=validated&amp;circonscription={quoted}">1</a>' in second
    assert f'href="/anomalies.csv?circonscription={quoted}"' in second
    assert '<td class="num">33 %</td><td class="num">0 %</td>' in second
    assert "sans INE" not in third and '<td class="exports"></td>' in third


def test_rows_of_a_past_campaign_keep_it_in_every_table_link() -> None:
    district = StageCounts("Tout le district", {"errors": 2}, 2, 0)
    circonscription = StageCounts("Rennes Nord", {"errors": 2}, 2, 0)
    first, second = (
        str(r) for r in stage_rows(district, [circonscription], STAGES, campaign="2025-2026")
    )
    assert '<a href="/ecoles?etape=errors&amp;campagne=2025-2026">2</a>' in first
    assert '<a href="/ecoles?circonscription=Rennes%20Nord&amp;campagne=2025-2026">' in second
    assert (
        '<a href="/ecoles?etape=errors&amp;circonscription=Rennes%20Nord&amp;campagne=2025-2026">'
        in second
    )
    current = str(stage_rows(district, [circonscription], STAGES)[1])
    assert "campagne" not in current
