"""Test export archives in the recognised layout, with defects the tests choose.

`layout(n)` gives the four members as lists of rows (header first), consistent and valid;
tests edit cells with `set_cell`, add members or columns, then `to_zip` builds the bytes.
Responsables' names and addresses are distinctive strings so a test can prove they are never
stored (`SECRETS`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from daemon.codes import LEVEL_AGE, cycle_of
from daemon.ingest.exports.layout import layout_headers

UAI = "0441234C"
YEAR_START = dt.date(2026, 9, 1)
LEVELS = ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
STREET = "allée des Hortensias-Zébulon"
RESP_LAST = "KERZÉLIOU"
RESP_FIRST = "Maëlwenn-Ysolde"
TOWN = "Plouzévédé-Sur-Mer"
SECRETS = (STREET, RESP_LAST, RESP_FIRST, TOWN, "29440")
LAST = ("MARTIN", "LE GOFF", "N'GUYEN", "MÜLLER", "DE LA FONTAINE", "OUÉDRAOGO")
FIRST = ("Léa", "Noé", "Jean-Baptiste", "Zoé", "Maël", "Inès")

Layout = dict[str, list[list[str]]]


def layout(n: int = 6, uai: str = UAI, year_start: dt.date = YEAR_START) -> Layout:
    """`n` pupils spread over the levels, one class per level, all coherent."""
    members: Layout = {name: [header] for name, header in layout_headers().items()}
    used = sorted({LEVELS[i % len(LEVELS)] for i in range(n)}, key=LEVELS.index)
    for level in used:
        members["classes.csv"].append([f"C-{level}", f"{level} Mme Durand", level, "Public"])
    for i in range(n):
        level = LEVELS[i % len(LEVELS)]
        pupil = f"E{i + 1:05d}"
        born = dt.date(year_start.year - LEVEL_AGE[level], 1 + i % 12, 1 + i % 28)
        members["eleves.csv"].append(
            [
                pupil,
                f"{LAST[i % len(LAST)]}{i}",
                FIRST[i % len(FIRST)],
                "MF"[i % 2],
                "M.",
                born.strftime("%d/%m/%Y"),
                "Nantes",
                "44",
                "France",
                f"{i + 1} {STREET}",
                "29440",
                TOWN,
                "France",
            ]
        )
        members["responsables.csv"].append(
            [f"R{i + 1:05d}", pupil, RESP_LAST, RESP_FIRST, "Mme", "MERE", "Oui"]
        )
        members["scolarites.csv"].append(
            [
                pupil,
                f"C-{level}",
                uai,
                "Ordinaire",
                level,
                cycle_of(level),
                year_start.strftime("%d/%m/%Y"),
            ]
        )
    return members


def set_cell(members: Layout, member: str, row: int, column: str, value: str) -> None:
    """Row 1 is the first data row."""
    members[member][row][members[member][0].index(column)] = value


def add_column(members: Layout, member: str, column: str, value: str) -> None:
    members[member][0].append(column)
    for row in members[member][1:]:
        row.append(value)


def to_zip(
    members: Layout,
    *,
    encoding: str = "utf-8",
    raw: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, rows in members.items():
            text = io.StringIO()
            csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
            zf.writestr(name, text.getvalue().encode(encoding))
        for name, data in (raw or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def export_archive(n: int = 6, uai: str = UAI) -> bytes:
    return to_zip(layout(n, uai))
