"""What the fonts of a PDF tell: glyph widths, and the characters of glyphs a PDF left unnamed.

Widths say where a piece of text ends and where each of its characters stands (the columns of a
fixed-width text printed in a monospace font). Some printers (`texttopdf`) embed a TrueType font
addressed by glyph number with no table back to characters: the font's own `cmap` gives them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import math
from typing import Any

log = logging.getLogger(__name__)

try:  # glyph widths, to know where a piece of text ends (optional: unknown without them)
    from pypdf.generic._font import Font as _PdfFont
except ImportError:  # pragma: no cover - older pypdf
    _PdfFont = None  # type: ignore[assignment,misc]

# font, width by character, default width, whether all characters have one width
Measured = tuple[Any, dict[str, float], float, bool]


class Widths:
    """Glyph widths of the fonts met (in thousandths of the font size), by character read."""

    def __init__(self) -> None:
        self.fonts: dict[int, Measured | None] = {}

    def _font(self, font: Any) -> Measured | None:
        if id(font) in self.fonts:
            known = self.fonts[id(font)]
            if known is None or known[0] is font:
                return known
        measured: Measured | None = None
        if _PdfFont is not None and font is not None:
            try:
                one = _one_width(font)
                if one is not None:  # a monospace font: no need to read its encoding
                    measured = (font, {}, one, True)
                else:
                    measured = (font, *self._measure(_PdfFont.from_font_resource(font)))
            except Exception:  # a damaged font dictionary: widths unknown
                measured = None
        self.fonts[id(font)] = measured
        return measured

    @staticmethod
    def _measure(pdf_font: Any) -> tuple[dict[str, float], float, bool]:
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
        monospace = len({w for w in widths.values() if w > 0} | ({default} - {0.0})) == 1
        return widths, default, monospace

    def of(self, font: Any, text: str) -> tuple[float, float]:
        """(width of the text, width of its first visible character), NaN when unknown."""
        measured = self._font(font)
        text = text.strip()  # pypdf adds a space before a piece apart from the previous one
        if measured is None or not text:
            return math.nan, math.nan
        _font, widths, default, monospace = measured
        if monospace:
            one = (next(iter(widths.values()), default) or default) / 1000
            return (len(text) * one, one) if one > 0 else (math.nan, math.nan)
        total = sum(widths.get(c, default) for c in text)
        lead = widths.get(text[0], default)
        return (total / 1000, lead / 1000) if total > 0 else (math.nan, math.nan)

    def step(self, font: Any, spacing: float = 0.0) -> float | None:
        """The advance of every character of a monospace font (font sizes, with `spacing`
        after each character): its spaces are layout. None in another font (a run of spaces
        there may be justification) or when the widths are unknown."""
        measured = self._font(font)
        if measured is None or not measured[3]:
            return None
        _font, widths, default, _mono = measured
        step = (next(iter(widths.values()), default) or default) / 1000 + spacing
        return step if step > 0 else None


def _one_width(font: Any) -> float | None:
    """The width of every glyph of a font whose dictionary gives them all one width (Courier,
    FreeMono, DejaVu Sans Mono), else None."""
    if "/DescendantFonts" in font:
        descendant = font["/DescendantFonts"][0].get_object()
        listed = [w for w in descendant.get("/W", []) if not isinstance(w, list | tuple)]
        if listed or descendant.get("/W"):
            return None  # widths by range: read through pypdf
        default = float(descendant.get("/DW", 1000))
        return default if default > 0 else None
    widths = {float(w) for w in font.get("/Widths", [])} - {0.0}
    return widths.pop() if len(widths) == 1 else None


class Glyphs:
    """Characters of text shown in a font addressed by glyph number (`/Identity-H`, no
    `/ToUnicode`): pypdf reads the glyph numbers as characters; the embedded TrueType font's
    `cmap` turns them back into what was printed."""

    def __init__(self) -> None:
        self.fonts: dict[int, tuple[Any, dict[int, str] | None]] = {}
        self.files: dict[Any, dict[int, str] | None] = {}  # by embedded font file

    def fix(self, font: Any, text: str) -> str:
        if font is None:
            return text
        known = self.fonts.get(id(font))
        if known is None or known[0] is not font:
            known = (font, self._table(font))
            self.fonts[id(font)] = known
        table = known[1]
        return text if table is None else text.translate(table)

    def _table(self, font: Any) -> dict[int, str] | None:
        """Glyph number → character for a font that needs it, else None."""
        try:
            embedded = _unnamed_glyphs(font)
            if embedded is None:
                return None
            where = getattr(embedded, "idnum", None) or id(embedded.get_object())
            if where not in self.files:
                data = embedded.get_object().get_data()  # one printer, one font: read once
                self.files[where] = _invert_cmap_of(hashlib.sha256(data).hexdigest(), data)
            return self.files[where]
        except Exception as exc:  # a damaged font: its text stays as pypdf read it
            log.info("embedded font unreadable: %s", exc)
            return None


def _unnamed_glyphs(font: Any) -> Any:
    """The embedded TrueType file of a font shown by glyph number (`/Identity-H`, no
    `/ToUnicode`), else None."""
    if font.get("/Encoding") != "/Identity-H" or "/ToUnicode" in font:
        return None
    descendant = font["/DescendantFonts"][0].get_object()
    if descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None
    return descendant["/FontDescriptor"].get_object().raw_get("/FontFile2")


@functools.lru_cache(maxsize=16)
def _invert_cmap_of(digest: str, data: bytes) -> dict[int, str] | None:
    return _invert_cmap(data)


def _invert_cmap(data: bytes) -> dict[int, str] | None:
    from fontTools.ttLib import TTFont  # only for the few PDFs that need it

    font = TTFont(io.BytesIO(data), lazy=True)
    cmap = font.getBestCmap()
    if not cmap:
        return None
    table: dict[int, str] = {}
    for code, name in sorted(cmap.items(), reverse=True):  # the lowest code point wins
        table[font.getGlyphID(name)] = chr(code)
    return table
