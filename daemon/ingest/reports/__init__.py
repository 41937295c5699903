"""Reading comptes rendus (PDF, text, tables, labels) and ONDE extractions (CSV).

The names below are loaded on first use (PEP 562): a module that needs only the records a
reader returns (`daemon.ingest.reports.records`, as the school's tracking does) does not load
the PDF reader with it — `relance school show` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from daemon import loaded_on_use

if TYPE_CHECKING:
    from daemon.ingest.reports.labels import Labels, LabelsError, load_labels
    from daemon.ingest.reports.read import parse_report
    from daemon.ingest.reports.refusal import ReportRefused

_WHERE = {
    "Labels": "daemon.ingest.reports.labels",
    "LabelsError": "daemon.ingest.reports.labels",
    "load_labels": "daemon.ingest.reports.labels",
    "parse_report": "daemon.ingest.reports.read",
    "ReportRefused": "daemon.ingest.reports.refusal",
}
__getattr__ = loaded_on_use(__name__, _WHERE)


__all__ = ["Labels", "LabelsError", "ReportRefused", "load_labels", "parse_report"]
