"""Scanned comptes rendus read by OCR (tesseract) into the same table reader as text PDFs."""
