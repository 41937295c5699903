"""The dashboard's « Écoles par étape » rows: the district, then one row a circonscription
(665 at 45,000 schools, ten cells each). Built here in one pass rather than cell by cell in
the template, where they cost more than every query of the page; every text is escaped."""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup, escape

from daemon.wording import percent
from db.dashboard import StageCounts

WITHOUT = "(sans circonscription)"
LISTS = (
    '<a href="/eleves-sans-ine.csv{where}" title="Élèves sans INE (CSV)">sans INE</a> · '
    '<a href="/anomalies.csv{where}" title="Anomalies ouvertes (CSV)">anomalies</a>'
)


def stage_rows(
    district: StageCounts, per: list[StageCounts], stages: list[str], *, campaign: str = ""
) -> list[Markup]:
    """One `<tr>` a line of the table, the district's first (`stages`: the columns' values;
    `campaign`: a past campaign shown, that the table's links keep)."""
    shown = f"&campagne={quote(campaign, safe='')}" if campaign else ""
    return [_row(counts, stages, shown, first=n == 0) for n, counts in enumerate([district, *per])]


def _row(counts: StageCounts, stages: list[str], shown: str, *, first: bool) -> Markup:
    name = escape(counts.name)
    quoted = quote(counts.name, safe="/")
    scope = ("" if first else f"&circonscription={quoted}") + shown
    link = escape(f"/ecoles?circonscription={quoted}{shown}")
    head = name if first else Markup(f'<a href="{link}">{name}</a>')
    cells = [
        _cell(counts.by_stage.get(value, 0), f"/ecoles?etape={value}{scope}") for value in stages
    ]
    lists = ""
    if first or counts.name != WITHOUT:
        lists = LISTS.format(where=escape("" if first else f"?circonscription={quoted}"))
    validated = escape(percent(counts.validated, counts.total))
    on_time = escape(percent(counts.validated_on_time, counts.total))
    total = ' class="total"' if first else ""
    return Markup(
        f'<tr{total}><th scope="row">{head}</th>{"".join(cells)}'
        f'<td class="num">{counts.total}</td><td class="num">{validated}</td>'
        f'<td class="num">{on_time}</td><td class="exports">{lists}</td></tr>'
    )


def _cell(count: int, href: str) -> str:
    if not count:
        return '<td class="num">0</td>'
    return f'<td class="num"><a href="{escape(href)}">{count}</a></td>'
