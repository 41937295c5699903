"""Reading comptes rendus (PDF, text, tables, labels) and ONDE extractions (CSV)."""

from daemon.ingest.reports.labels import Labels, LabelsError, load_labels
from daemon.ingest.reports.read import Read, parse_report, read_report
from daemon.ingest.reports.refusal import NeedsOcr, ReportRefused

__all__ = [
    "Labels",
    "LabelsError",
    "NeedsOcr",
    "Read",
    "ReportRefused",
    "load_labels",
    "parse_report",
    "read_report",
]
