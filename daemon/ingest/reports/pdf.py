"""A PDF's text layer as pages of positioned words, in one pass of pypdf's text extraction.

The same pass collects the lines the page draws (table rules, cell borders): they tell where the
rows of a table end when nothing else does. Refuses what cannot be read (truncated, broken,
encrypted, too many pages, no text layer); what printers add is removed by `pages`.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from daemon.ingest.reports.fonts import Glyphs, Widths
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Line
from daemon.ingest.reports.pages import document_lines
from daemon.ingest.reports.refusal import ReportRefused
from daemon.ingest.reports.text import clean
from daemon.ingest.reports.words import Page, Rule, Word, pieces
from daemon.ingest.reports.wrapped import Fragment, unwrap

log = logging.getLogger(__name__)

TRUNCATED = "PDF tronqué : marque de fin %%EOF absente"
BROKEN = "PDF illisible ou endommagé"
ENCRYPTED = "PDF chiffré : mot de passe requis"
NO_TEXT = "PDF sans texte (scan) : aucune couche texte"
MAX_PAGE_CONTENT = 2 * 1024 * 1024  # bytes of a page's drawing operators, once decompressed
ASCENT, DESCENT = 0.8, 0.2  # of the font size, above and below the baseline
_SPLIT = re.compile(r"\S\s{2,}\S|\||^\s{2,}")  # a piece laid out with spaces, or a `|`
_PAINT = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PATH = {b"re", b"m", b"l", b"h", b"n", *_PAINT}
_STATE = {b"q", b"Q", b"Tc", b"Tz"}

Segment = tuple[float, float, float, float]  # a drawn line, device space: x0, y0, x1, y1


def open_pdf(data: bytes, max_pages: int) -> PdfReader:
    if b"%%EOF" not in data[-2048:]:
        raise ReportRefused(TRUNCATED)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReportRefused(ENCRYPTED)
        count = max(len(reader.pages), _claimed_pages(reader))
    except ReportRefused:
        raise
    except (FileNotDecryptedError, DependencyError, NotImplementedError) as exc:
        raise ReportRefused(ENCRYPTED) from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files
        log.info("unreadable PDF: %s", exc)
        raise ReportRefused(BROKEN) from exc
    if count < 1:
        raise ReportRefused(BROKEN)
    if count > max_pages:
        raise ReportRefused(f"PDF de {count} pages, plus que les {max_pages} acceptées")
    return reader


def _claimed_pages(reader: PdfReader) -> int:
    """The page count the page tree claims (a hostile file may claim 10,000 for one page)."""
    claimed = reader.root_object["/Pages"].get_object().get("/Count", 0)  # type: ignore[union-attr]
    return claimed if isinstance(claimed, int) else 0


class _Reader:
    """One page's text pieces and drawn lines, from pypdf's visitors."""

    def __init__(self, widths: Widths, glyphs: Glyphs) -> None:
        self.widths, self.glyphs = widths, glyphs
        self.fragments: list[Fragment] = []
        self.segments: list[Segment] = []
        self.path: list[Segment] = []
        self.start: tuple[float, float] | None = None
        self.point: tuple[float, float] | None = None
        self.spacing = (0.0, 1.0)  # character spacing (Tc), horizontal scaling (Tz / 100)
        self.saved: list[tuple[float, float]] = []

    def text(self, text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text or text.isspace():
            return
        text = self.glyphs.fix(font, text)
        m0 = tm[0] * cm[0] + tm[1] * cm[2]
        m1 = tm[0] * cm[1] + tm[1] * cm[3]
        m2 = tm[2] * cm[0] + tm[3] * cm[2]
        m3 = tm[2] * cm[1] + tm[3] * cm[3]
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        orientation = 0 if m3 > 1e-6 else 180 if m3 < -1e-6 else 90 if m1 > 0 else 270
        upright = orientation in (0, 180)
        scale = math.hypot(m2, m3) if upright else math.hypot(m0, m1)
        along = abs(size) * (math.hypot(m0, m1) if upright else math.hypot(m2, m3))
        size_here = abs(size * scale) or 10.0
        spacing, scaling = self.spacing
        along *= scaling
        step = self.widths.step(font, spacing / (abs(size) or 1.0))
        step = step * along if step else None
        for piece in text.split("\n"):
            if piece.strip():
                width, lead = self.widths.of(font, piece)
                self.fragments.append(
                    (orientation, x, y, size_here, piece, width * along, lead * along, step)
                )

    def operator(self, operator: bytes, operands: Any, cm: list[float], _tm: Any) -> None:
        if operator in _STATE:
            self._state(operator, operands)
        if operator not in _PATH:
            return
        try:
            self._path(operator, [float(v) for v in operands], cm)
        except (TypeError, ValueError, IndexError):  # a damaged path: not a rule
            self.path, self.point = [], None

    def _state(self, operator: bytes, operands: Any) -> None:
        """Character spacing and horizontal scaling: where the characters of a monospace
        line really stand (`texttopdf` narrows its font with `Tz`)."""
        spacing, scaling = self.spacing
        if operator == b"q":
            self.saved.append(self.spacing)
        elif operator == b"Q":
            self.spacing = self.saved.pop() if self.saved else (0.0, 1.0)
        elif operator == b"Tc" and operands and isinstance(operands[0], (int, float)):
            self.spacing = (float(operands[0]), scaling)
        elif operator == b"Tz" and operands and isinstance(operands[0], (int, float)):
            self.spacing = (spacing, float(operands[0]) / 100)

    def _path(self, operator: bytes, values: list[float], cm: list[float]) -> None:
        def at(px: float, py: float) -> tuple[float, float]:
            return px * cm[0] + py * cm[2] + cm[4], px * cm[1] + py * cm[3] + cm[5]

        if operator == b"re":
            x, y, w, h = values[:4]
            corners = [at(x, y), at(x + w, y), at(x + w, y + h), at(x, y + h)]
            self.path += [(*a, *b) for a, b in zip(corners, corners[1:] + corners[:1], strict=True)]
        elif operator == b"m":
            self.start = self.point = at(*values[:2])
        elif operator == b"l" and self.point is not None:
            end = at(*values[:2])
            self.path.append((*self.point, *end))
            self.point = end
        elif operator == b"h" and self.point is not None and self.start is not None:
            self.path.append((*self.point, *self.start))
            self.point = self.start
        elif operator in _PAINT:
            self.segments += self.path
            self.path, self.point = [], None
        elif operator == b"n":
            self.path, self.point = [], None


def _upright(fragments: list[Fragment]) -> tuple[list[Fragment], list[Fragment], int]:
    """Fragments turned into the page's main orientation (x rightwards, y downwards); the
    others; the main orientation."""
    weight: Counter[int] = Counter()
    for orientation, _x, _y, _size, text, *_widths in fragments:
        weight[orientation] += len(text)
    main = weight.most_common(1)[0][0] if weight else 0
    turned: list[Fragment] = []
    for orientation, x, y, size, text, advance, lead, step in fragments:
        if orientation == main:
            tx, ty = _turn(main, x, y)
            turned.append((0, tx, ty, size, text, advance, lead, step))
    return turned, [f for f in fragments if f[0] != main], main


def _turn(orientation: int, x: float, y: float) -> tuple[float, float]:
    """A device point in the page's reading frame (x rightwards, y downwards)."""
    if orientation == 0:
        return x, -y
    if orientation == 180:
        return -x, y
    return (y, x) if orientation == 90 else (-y, -x)


def _rules(segments: list[Segment], orientation: int) -> list[Rule]:
    """The drawn lines that run across the reading direction's lines: horizontal rules."""
    found: list[Rule] = []
    for x0, y0, x1, y1 in segments:
        (a, b), (c, d) = _turn(orientation, x0, y0), _turn(orientation, x1, y1)
        if abs(b - d) <= 0.5 and abs(a - c) > 2.0:
            found.append(Rule(min(a, c), max(a, c), (b + d) / 2))
    return found


def _words(fragment: Fragment) -> list[Word]:
    """A piece of text as words: split where it was laid out with spaces (a fixed-width text
    printed in a monospace font), each part at the position of its first character."""
    _o, x, y, size, text, advance, lead, step = fragment
    top, bottom = y - ASCENT * size, y + DESCENT * size
    if step is None or not _SPLIT.search(text):
        return [Word(text, x, top, x + advance, bottom, lead)]
    return [
        Word(text[start:end], x + start * step, top, x + end * step, bottom, step)
        for start, end in pieces(text)
    ]


def _page(number: int, page: Any, reader: _Reader) -> tuple[Page, list[Fragment], list[str]]:
    """The page (its box and rules), its upright text, the text written sideways."""
    reader.fragments, reader.segments, reader.path = [], [], []
    reader.spacing, reader.saved = (0.0, 1.0), []
    page.extract_text(visitor_text=reader.text, visitor_operand_before=reader.operator)
    upright, others, main = _upright(reader.fragments)
    box = page.mediabox
    result = Page(number, -float(box.top), -float(box.bottom))
    result.rules = _rules(reader.segments, main)
    return result, upright, [clean(f[4]) for f in others if clean(f[4])]


def _page_content_size(page: Any, limit: int) -> int:
    """Bytes of drawing operators the text extraction would parse on this page (its content
    streams and its form XObjects, decompressed), counted until past `limit`: reading a
    48 KB PDF whose page unpacks to 16 MB of operators would take minutes of CPU."""
    contents = _resolved(page.get("/Contents"))
    streams = list(contents) if isinstance(contents, list) else [contents]
    resources = _resolved(page.get("/Resources"))
    xobjects = _resolved(resources.get("/XObject")) if isinstance(resources, dict) else None
    if isinstance(xobjects, dict):
        forms = [_resolved(x) for x in xobjects.values()]
        streams += [x for x in forms if isinstance(x, dict) and x.get("/Subtype") == "/Form"]
    size = 0
    for stream in streams:
        stream = _resolved(stream)
        size += len(stream.get_data()) if hasattr(stream, "get_data") else 0
        if size > limit:
            break
    return size


def _resolved(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _check_content(number: int, page: Any, limit: int) -> None:
    size = _page_content_size(page, limit)
    if size > limit:
        raise ReportRefused(
            f"page {number} du PDF trop lourde à lire : au moins {max(1, round(size / 2**20))} Mo "
            f"de contenu une fois décompressé (limite {limit / 2**20:g} Mo) "
            "/ page content too large"
        )


def _title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        return str(metadata.title or "") if metadata else ""
    except Exception:
        return ""


def pdf_pages(
    data: bytes, max_pages: int, max_page_content: int = MAX_PAGE_CONTENT
) -> tuple[list[Page], list[str], Callable[[], str]]:
    """The pages' words and rules, the text written sideways (kept for review), how to read
    the title (only a page margin asks for it).
    A page with more than `max_page_content` bytes of content is refused before it is read."""
    reader = open_pdf(data, max_pages)
    pages: list[Page] = []
    texts: list[list[Fragment]] = []
    sideways: list[str] = []
    visitor = _Reader(Widths(), Glyphs())
    try:
        for number, page in enumerate(reader.pages):
            _check_content(number + 1, page, max_page_content)
            read, upright, turned = _page(number, page, visitor)
            pages.append(read)
            texts.append(upright)
            sideways.extend(turned)
    except ReportRefused:
        raise
    except Exception as exc:
        log.info("PDF text extraction failed: %s", exc)
        raise ReportRefused(BROKEN) from exc
    if not any(f[4].strip() for upright in texts for f in upright):
        raise ReportRefused(NO_TEXT)
    for read, upright in zip(pages, unwrap(texts), strict=True):
        read.words = [word for fragment in upright for word in _words(fragment)]
    return pages, sideways, functools.partial(_title, reader)


def pdf_lines(
    data: bytes, labels: Labels, max_pages: int, max_page_content: int = MAX_PAGE_CONTENT
) -> tuple[list[Line], list[str]]:
    """Lines of every page in reading order, and the text written sideways (kept for review)."""
    pages, sideways, title = pdf_pages(data, max_pages, max_page_content)
    return document_lines(pages, labels, title), sideways
