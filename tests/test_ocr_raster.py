"""A scan's pages as grey images: rendering a PDF within the time budget."""

from __future__ import annotations

import pytest

from daemon.ingest.reports.ocr import raster
from daemon.ingest.reports.refusal import ReportRefused


def test_a_pdf_rendered_past_its_time_budget_is_refused_as_too_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pdftoppm killed at the budget's end (a loaded machine) is the « too long » refusal,
    not an error of the reader."""
    import pdf2image
    from pdf2image.exceptions import PDFPopplerTimeoutError

    def slow(*_args: object, **_kwargs: object) -> None:
        raise PDFPopplerTimeoutError("Run poppler timeout.")

    monkeypatch.setattr(pdf2image, "convert_from_bytes", slow)
    with pytest.raises(ReportRefused) as refused:
        raster.pdf_pages(b"%PDF-1.4", max_pages=1, timeout=1)
    assert refused.value.reason == raster.TOO_LONG
