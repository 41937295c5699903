"""The text of a PDF as positioned lines, in one pass of pypdf's text extraction with a visitor.

Refuses what cannot be read (truncated, broken, encrypted, too many pages, no text layer) and
removes what printers add (browser headers and footers, page numbers, print dates, URLs).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from daemon.codes import fold
from daemon.ingest.reports.columns import (
    ANOMALY_COLUMNS,
    INE_COLUMNS,
    heading_columns,
    heading_piece,
)
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.refusal import ReportRefused
from daemon.ingest.reports.text import clean

try:  # glyph widths, to know where a piece of text ends (optional: unknown without them)
    from pypdf.generic._font import Font as _PdfFont
except ImportError:  # pragma: no cover - older pypdf
    _PdfFont = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

TRUNCATED = "PDF tronqué : marque de fin %%EOF absente / truncated PDF"
BROKEN = "PDF illisible ou endommagé / unreadable or damaged PDF"
ENCRYPTED = "PDF chiffré : mot de passe requis / encrypted PDF"
NO_TEXT = "PDF sans texte (scan) : aucune couche texte / no text layer"
MAX_PAGE_CONTENT = 2 * 1024 * 1024  # bytes of a page's drawing operators, once decompressed
MARGIN = 0.07  # top and bottom share of the page where printers put headers and footers

# orientation, x, y, size, text, advance (width of the text), lead (width of its first character)
Fragment = tuple[int, float, float, float, str, float, float]


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
        raise ReportRefused(
            f"PDF de {count} pages, plus que les {max_pages} acceptées / too many pages"
        )
    return reader


def _claimed_pages(reader: PdfReader) -> int:
    """The page count the page tree claims (a hostile file may claim 10,000 for one page)."""
    claimed = reader.root_object["/Pages"].get_object().get("/Count", 0)  # type: ignore[union-attr]
    return claimed if isinstance(claimed, int) else 0


class _Widths:
    """Glyph widths of the fonts met (in thousandths of the font size), by character read."""

    def __init__(self) -> None:
        self.fonts: dict[int, tuple[Any, dict[str, float], float] | None] = {}

    def _font(self, font: Any) -> tuple[Any, dict[str, float], float] | None:
        if id(font) in self.fonts:
            known = self.fonts[id(font)]
            if known is None or known[0] is font:
                return known
        measured = None
        if _PdfFont is not None and font is not None:
            try:
                measured = (font, *self._measure(_PdfFont.from_font_resource(font)))
            except Exception:  # a damaged font dictionary: widths unknown
                measured = None
        self.fonts[id(font)] = measured
        return measured

    @staticmethod
    def _measure(pdf_font: Any) -> tuple[dict[str, float], float]:
        by_code = pdf_font.character_widths
        default = float(by_code.get("default", 0) or 0)
        widths: dict[str, float] = {}
        if isinstance(pdf_font.encoding, dict):
            for code, char in pdf_font.encoding.items():
                if isinstance(char, str) and chr(code) in by_code:
                    widths.setdefault(char, float(by_code[chr(code)]))
        for code, char in pdf_font.character_map.items():
            if isinstance(char, str) and isinstance(code, str) and code in by_code:
                widths[char] = float(by_code[code])
        return widths, default

    def of(self, font: Any, text: str) -> tuple[float, float]:
        """(width of the text, width of its first visible character), NaN when unknown."""
        measured = self._font(font)
        text = text.strip()  # pypdf adds a space before a piece apart from the previous one
        if measured is None or not text:
            return math.nan, math.nan
        _font, widths, default = measured
        total = sum(widths.get(c, default) for c in text)
        lead = widths.get(text[0], default)
        return (total / 1000, lead / 1000) if total > 0 else (math.nan, math.nan)


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


def _page_fragments(page: Any, widths: _Widths) -> list[Fragment]:
    found: list[Fragment] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text or text.isspace():
            return
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
        for piece in text.split("\n"):
            if piece.strip():
                width, lead = widths.of(font, piece)
                size_here = abs(size * scale) or 10.0
                found.append((orientation, x, y, size_here, piece, width * along, lead * along))

    page.extract_text(visitor_text=visit)
    return found


def _upright(fragments: list[Fragment]) -> tuple[list[Fragment], list[Fragment]]:
    """Fragments turned into the page's main orientation (x rightwards, y downwards); others."""
    weight: Counter[int] = Counter()
    for orientation, _x, _y, _size, text, *_widths in fragments:
        weight[orientation] += len(text)
    main = weight.most_common(1)[0][0] if weight else 0
    turned: list[Fragment] = []
    for orientation, x, y, size, text, advance, lead in fragments:
        if orientation != main:
            continue
        if orientation == 0:
            turned.append((0, x, -y, size, text, advance, lead))
        elif orientation == 180:
            turned.append((0, -x, y, size, text, advance, lead))
        elif orientation == 90:
            turned.append((0, y, x, size, text, advance, lead))
        else:
            turned.append((0, -y, -x, size, text, advance, lead))
    return turned, [f for f in fragments if f[0] != main]


def _group_lines(page_number: int, fragments: list[Fragment]) -> list[Line]:
    lines: list[Line] = []
    for _o, x, y, size, text, advance, lead in sorted(fragments, key=lambda f: (f[2], f[1])):
        cell = Cell(x, clean(text), size, x + advance, lead)
        if not cell.text:
            continue
        last = lines[-1] if lines else None
        if last is not None and abs(y - last.y) <= max(1.0, 0.25 * min(size, last.size)):
            last.cells.append(cell)
        else:
            lines.append(Line(page_number, y, [cell]))
    for line in lines:
        line.cells.sort(key=lambda c: c.x)
    return lines


class _Noise:
    """Decides which lines and cells a printer added, knowing the page and the document."""

    def __init__(self, labels: Labels, title: str) -> None:
        self.labels = labels
        self.title = fold(clean(title)).casefold() if title else ""
        self.repeated: set[tuple[str, int]] = set()

    @staticmethod
    def shape(text: str, y: float) -> tuple[str, int]:
        return re.sub(r"\d+", "#", fold(text).casefold()), round(y / 3)

    def learn(self, pages: list[tuple[list[Line], float, float]]) -> None:
        seen: Counter[tuple[str, int]] = Counter()
        for lines, top, bottom in pages:
            shapes = {self.shape(ln.text, ln.y) for ln in lines if self.in_margin(ln, top, bottom)}
            seen.update(shapes)
        self.repeated = {shape for shape, count in seen.items() if count > 1}

    @staticmethod
    def in_margin(line: Line, top: float, bottom: float) -> bool:
        height = bottom - top
        return height > 0 and (line.y < top + MARGIN * height or line.y > bottom - MARGIN * height)

    def matches(self, text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
        folded = fold(text)
        return any(p.fullmatch(folded) for p in patterns)

    def clean_page(self, lines: list[Line], top: float, bottom: float) -> list[Line]:
        """Lines without the printer's: noise anywhere (URLs, `Page 2 sur 3`), and at the top and
        bottom of the page, outside the content, margin noise (print dates, `1/3`, repeated
        lines). A cut date (`17/04`) low on the page but above a table row is kept."""
        lines = [ln for ln in lines if not self.matches(ln.text, self.labels.noise)]
        first = 0
        while first < len(lines) and self._margin_noise(lines[first], top, bottom):
            first += 1
        if 0 < first < len(lines) and not self._apart(lines[first - 1], lines[first]):
            first = 0
        last = len(lines)
        while last > first and self._margin_noise(lines[last - 1], top, bottom):
            last -= 1
        if first < last < len(lines) and not self._apart(lines[last], lines[last - 1]):
            last = len(lines)
        return lines[first:last]

    def _apart(self, noise: Line, content: Line) -> bool:
        """A printer's line stands apart from the content; a table's last cut cell does not."""
        if self.shape(noise.text, noise.y) in self.repeated:
            return True
        return abs(noise.y - content.y) > 1.2 * max(noise.size, content.size)

    def _margin_noise(self, line: Line, top: float, bottom: float) -> bool:
        if not self.in_margin(line, top, bottom) or self._table_heading(line):
            return False
        if self.shape(line.text, line.y) in self.repeated:
            return True
        # All of it noise: a footer with a URL and `1/3`, a header with a date and the title.
        return all(self._noise_cell(group) for group in _clusters(line.cells))

    def _table_heading(self, line: Line) -> bool:
        """A table heading (or a line of it: `Né(e)` over `le`) repeated at the top of each
        page is content: the cell below it (the end of a date cut by the page break) too."""
        return any(
            heading_columns(line, self.labels, wanted) is not None
            or heading_piece(line, self.labels, wanted) is not None
            for wanted in (ANOMALY_COLUMNS, INE_COLUMNS)
        )

    def _noise_cell(self, group: list[Cell]) -> bool:
        text = " ".join(c.text for c in group)
        if self.title and fold(text).casefold() == self.title:
            return True
        patterns = self.labels.noise + self.labels.margin_noise
        return self.matches(text, patterns)


def _clusters(cells: list[Cell]) -> list[list[Cell]]:
    """Cells close to each other (`1`, `/`, `3`), apart from the others on a margin line."""
    groups: list[list[Cell]] = []
    end = -math.inf
    for cell in cells:
        if not groups or cell.x - end > 1.5 * cell.size:
            groups.append([])
        groups[-1].append(cell)
        end = max(end, cell.x + 0.5 * cell.size * len(cell.text))
    return groups


def _title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        return str(metadata.title or "") if metadata else ""
    except Exception:
        return ""


def pdf_lines(
    data: bytes, labels: Labels, max_pages: int, max_page_content: int = MAX_PAGE_CONTENT
) -> tuple[list[Line], list[str]]:
    """Lines of every page in reading order, and the text written sideways (kept for review).
    A page with more than `max_page_content` bytes of content is refused before it is read."""
    reader = open_pdf(data, max_pages)
    pages: list[tuple[list[Line], float, float]] = []
    sideways: list[str] = []
    characters = 0
    widths = _Widths()
    try:
        for number, page in enumerate(reader.pages):
            _check_content(number + 1, page, max_page_content)
            box = page.mediabox
            top, bottom = -float(box.top), -float(box.bottom)
            upright, others = _upright(_page_fragments(page, widths))
            characters += sum(len(f[4].strip()) for f in upright)
            sideways.extend(clean(f[4]) for f in others if clean(f[4]))
            pages.append((_group_lines(number, upright), top, bottom))
    except ReportRefused:
        raise
    except Exception as exc:
        log.info("PDF text extraction failed: %s", exc)
        raise ReportRefused(BROKEN) from exc
    if characters == 0:
        raise ReportRefused(NO_TEXT)
    noise = _Noise(labels, _title(reader))
    noise.learn(pages)
    lines: list[Line] = []
    for page_lines, top, bottom in pages:
        lines.extend(noise.clean_page(page_lines, top, bottom))
    return lines, sideways
