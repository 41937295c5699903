"""Reading what directors drop: comptes rendus (PDF, text) and ONDE extractions (CSV)."""

from daemon.ingest.labels import Labels, LabelsError, load_labels
from daemon.ingest.refusal import ReportRefused
from daemon.ingest.reports import parse_report

__all__ = ["Labels", "LabelsError", "ReportRefused", "load_labels", "parse_report"]
