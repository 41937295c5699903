"""Rows rebuilt from positioned lines: wrapped cells, top-aligned or centred, cut by pages."""

from __future__ import annotations

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.tables import Table

X = {"last_name": 40, "first_name": 120, "birth_date": 190, "field": 250, "message": 320,
     "severity": 500}  # fmt: skip
HEADING = [(40, "Nom"), (120, "Prénom"), (190, "Né(e) le"), (250, "Rubrique"), (320, "Message"),
           (500, "Gravité")]  # fmt: skip


def line(page: int, y: float, *cells: tuple[float, str]) -> Line:
    return Line(page, y, [Cell(x, text, 8.0) for x, text in cells])


def read(lines: list[Line]) -> tuple[list[dict], list[str]]:
    table = Table("anomalies", default_labels())
    for item in lines:
        table.feed(item)
    return table.finish()


def test_top_aligned_wrapped_cells() -> None:
    rows, unplaced = read([
        line(0, 100, *HEADING),
        line(0, 112, (40, "N'GUYEN-"), (120, "Jean-"), (190, "03/05/2019"), (250, "Lieu de"),
             (320, "Commune inconnue dans le"), (500, "Rejet")),
        line(0, 121, (40, "LEFÈVRE"), (120, "Baptiste"), (250, "naissance"),
             (320, "référentiel INSEE pour")),
        line(0, 130, (320, "l'année de naissance")),
        line(0, 143, (40, "MARTIN"), (120, "Léa"), (190, "01/02/2020"), (250, "Adresse"),
             (320, "Code postal"), (500, "Avertissement")),
    ])  # fmt: skip
    assert unplaced == []
    assert rows[0]["last_name"] == "N'GUYEN-LEFÈVRE" and rows[0]["first_name"] == "Jean-Baptiste"
    assert rows[0]["field"] == "Lieu de naissance"
    assert (
        rows[0]["message"] == "Commune inconnue dans le référentiel INSEE pour l'année de naissance"
    )
    assert rows[1]["last_name"] == "MARTIN" and rows[1]["severity"] == "avertissement"


def test_centred_cells_and_a_date_cut_over_three_lines() -> None:
    rows, unplaced = read([
        line(0, 100, *HEADING),
        line(0, 110, (320, "Commune inconnue")),
        line(0, 116, (190, "03/0")),
        line(0, 122, (40, "MARTIN"), (120, "Léa"), (190, "5/20"), (250, "Adresse"),
             (320, "dans le référentiel"), (500, "Rejet")),
        line(0, 128, (190, "19")),
        line(0, 134, (320, "INSEE")),
        line(0, 150, (320, "Code postal")),
        line(0, 156, (40, "PETIT"), (120, "Noé"), (190, "01/02/2020"), (250, "Adresse"),
             (500, "Rejet")),
    ])  # fmt: skip
    assert unplaced == []
    assert [r["birth_date"] for r in rows] == ["2019-05-03", "2020-02-01"]
    assert rows[0]["message"] == "Commune inconnue dans le référentiel INSEE"
    assert rows[1]["message"] == "Code postal"


def test_row_cut_by_a_page_break_and_repeated_heading() -> None:
    rows, unplaced = read([
        line(0, 100, *HEADING),
        line(0, 780, (40, "MARTIN"), (120, "Léa"), (190, "01/02/20"), (250, "Adresse"),
             (320, "Code postal"), (500, "Rejet")),
        line(1, 40, *HEADING),
        line(1, 52, (190, "20"), (320, "incohérent")),
        line(1, 64, (40, "PETIT"), (120, "Noé"), (190, "01/02/2021"), (250, "Adresse"),
             (320, "Voie"), (500, "Rejet")),
    ])  # fmt: skip
    assert unplaced == []
    assert rows[0]["birth_date"] == "2020-02-01" and rows[0]["message"] == "Code postal incohérent"
    assert rows[1]["last_name"] == "PETIT"


def test_heading_wrapped_over_two_lines() -> None:
    rows, unplaced = read([
        line(0, 96, (190, "Né(e")),
        line(0, 100, (40, "Nom"), (120, "Prénom"), (250, "Rubrique"), (320, "Message"),
             (500, "Gravité")),
        line(0, 104, (190, ") le")),
        line(0, 120, (40, "MARTIN"), (120, "Léa"), (190, "01/02/2020"), (250, "Adresse"),
             (320, "Code postal"), (500, "Rejet")),
    ])  # fmt: skip
    assert unplaced == [] and rows[0]["birth_date"] == "2020-02-01"


def test_text_lines_one_cell_each() -> None:
    cells = ["Nom", "Prénom", "Né(e) le", "Rubrique", "Message", "Gravité",
             "MARTIN", "Léa", "01/02/2020", "Adresse", "Code postal", "Rejet"]  # fmt: skip
    table = Table("anomalies", default_labels())
    for n, text in enumerate(cells):
        table.feed(Line(0, n, [Cell(0, text)], geometric=False))
    rows, unplaced = table.finish()
    assert unplaced == [] and rows[0]["message"] == "Code postal"


def test_a_row_that_reads_as_nothing_is_kept_unplaced() -> None:
    rows, unplaced = read([line(0, 100, *HEADING), line(0, 120, (40, "n'importe quoi"))])
    assert rows == [] and unplaced == ["n'importe quoi"]


def test_cells_merged_by_the_extractor_into_one_per_line() -> None:
    rows, unplaced = read([
        line(0, 100, (40, "Nom Prénom Né(e) le Rubrique Message Gravité")),
        line(0, 112, (40, "MARTIN Léa 01/02/2020 Adresse Code postal Rejet")),
        line(0, 124, (40, "PETIT Noé 03/05/2019 Doublon Déjà inscrit Rejet")),
    ])  # fmt: skip
    assert unplaced == []
    assert [(r["last_name"], r["field"], r["message"]) for r in rows] == [
        ("MARTIN", "Adresse", "Code postal"),
        ("PETIT", "Doublon", "Déjà inscrit"),
    ]


def test_a_column_nobody_knows_is_left_out_and_said() -> None:
    table = Table("anomalies", default_labels())
    for item in [
        line(0, 100, *HEADING[:3], (230, "Classe"), *HEADING[3:]),
        line(0, 112, (40, "MARTIN"), (120, "Léa"), (190, "01/02/2020"), (230, "CP A"),
             (250, "Adresse"), (320, "Code postal"), (500, "Rejet")),
    ]:  # fmt: skip
        table.feed(item)
    rows, unplaced = table.finish()
    assert unplaced == [] and (rows[0]["field"], rows[0]["message"]) == ("Adresse", "Code postal")
    assert table.ignored == ["Classe"]


def test_one_cell_per_line_a_rubrique_named_like_a_heading_is_data() -> None:
    cells = ["Nom", "Prénom", "Né(e) le", "Rubrique", "Message", "Gravité",
             "MARTIN", "Léa", "01/02/2020", "Nom", "Caractère interdit", "Rejet"]  # fmt: skip
    table = Table("anomalies", default_labels())
    for n, text in enumerate(cells):
        table.feed(Line(0, n, [Cell(0, text)], geometric=False))
    rows, _ = table.finish()
    assert (rows[0]["field"], rows[0]["message"]) == ("Nom", "Caractère interdit")
