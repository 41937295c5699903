"""Fixed-width text comptes rendus: told apart from other text, read by position.

The sweep renders the logical contents through the generator's fixed-width renderer with many
layouts (widths that wrap names, rubriques and messages, column orders, rules, one space or
more between columns, severity case, blank lines) and compares the whole result with the JSON
written from the contents.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from daemon.ingest.reports import parse_report
from daemon.ingest.reports.fixed import fixed_width_lines
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.records import CompteRendu

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
from content import CONTENTS, expected
from families import FIELD_LAST, SEVERITY_FIRST
from fixed_width import ANOMALY, Layout, to_fixed
from render import to_text

LABELS = default_labels()
WIDTHS = [
    {},
    {"last_name": 9, "first_name": 9, "field": 9, "message": 22},
    {"last_name": 15, "first_name": 8, "field": 12, "message": 60},
]
LAYOUTS = [
    Layout(order=order, widths=widths, rule=rule, gap=gap, case=case)
    for (order, case), widths, (rule, gap) in itertools.product(
        [(ANOMALY, "title"), (SEVERITY_FIRST, "upper"), (FIELD_LAST, "lower")],
        WIDTHS,
        [("dashes", 1), ("equals", 2), ("box", 1), ("none", 2)],
    )
]


def read(text: str) -> CompteRendu:
    result = parse_report(text.encode(), "cr.txt")
    assert isinstance(result, CompteRendu)
    return result


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.order[0]}-{lay.rule}-{lay.gap}")
@pytest.mark.parametrize("content", ["saint_joseph", "coupures"])
def test_every_layout_reads_exactly(content: str, layout: Layout) -> None:
    cr = CONTENTS[content]()
    text = to_fixed(cr, layout)
    assert parse_report(text.encode(), "cr.txt").as_json() == expected(cr)


def test_a_continuation_line_joins_its_cell_never_the_next_row() -> None:
    cr = CONTENTS["saint_joseph"]()
    text = to_fixed(cr, Layout(widths={"last_name": 8, "first_name": 6, "message": 20}))
    assert "N'GUYEN-" in text and "\nLEFÈVRE " in text  # the name wrapped, as the message
    anomalies = read(text).anomalies
    assert [a.last_name for a in anomalies] == [a.last for a in cr.anomalies]
    assert [a.message for a in anomalies] == [a.message for a in cr.anomalies]


def test_the_rule_is_layout_never_a_name() -> None:
    cr = CONTENTS["saint_joseph"]()
    for rule in ("dashes", "equals", "box"):
        result = read(to_fixed(cr, Layout(rule=rule)))
        assert result.anomalies[0].last_name == "N'GUYEN-LEFÈVRE"
        assert result.unclassified == ()


def test_an_empty_severity_is_no_severity_and_a_warning() -> None:
    cr = CONTENTS["sans_gravite"]()
    result = read(to_fixed(cr, Layout()))
    assert result.anomalies[1].severity is None
    assert result.anomalies[2].severity == "rejet"  # its neighbours keep their own
    assert result.needs_review and list(result.warnings) == cr.warnings


def test_fixed_width_is_told_from_other_text() -> None:
    cr = CONTENTS["saint_joseph"]()
    assert fixed_width_lines(to_fixed(cr, Layout()), LABELS) is not None
    assert fixed_width_lines(to_fixed(cr, Layout(rule="none")), LABELS) is not None  # aligned
    for mode in ("tabs", "spaces", "cells", "flat"):  # copied from a screen: cells in order
        assert fixed_width_lines(to_text(cr, mode), LABELS) is None, mode
