"""A compte rendu saved from the browser as a web page (.html): its text, cells split by tabs.

The result goes through the same reading as text copied from the screen.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
           "header", "footer", "article", "dt", "dd", "caption", "thead", "tbody"}  # fmt: skip
_CELLS = {"td", "th"}
_SKIPPED = {"script", "style", "head", "title", "noscript", "template"}
_HTML = re.compile(r"<\s*(!doctype\s+html|html|body|table)\b", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    return bool(_HTML.search(text[:4096]))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _CELLS:
            self.parts.append("\t")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(text: str) -> str:
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = ("".join(parser.parts)).split("\n")
    return "\n".join(line.strip(" ").lstrip("\t") for line in lines if line.strip())
