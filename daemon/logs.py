"""Logging: one line per unit of work, as text or JSON; to stderr (the journal under systemd).

Pupils' names never reach the logs: the code logs UAIs, file names, counts and timings only.
Every record goes through `SafeRecords` on its way out: text from outside (file names, paths,
addresses, exception messages) cannot forge a log line — control characters, line and
paragraph separators and bidirectional overrides are written as `\\xNN` / `\\uNNNN` escapes —
and the signed link of a director's page (`/ecole/<token>`) is cut to its first characters.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINK_TOKEN = re.compile(r"(/ecole/)([\w=-]{6})[\w.=-]{10,}")
TOKEN_KEPT = 6  # characters of a link's token kept in the logs: enough to tell two apart


def escape_controls(text: str) -> str:
    """`text` on one line: every control or direction character as a visible escape."""

    def escaped(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(escaped, text)


def cut_link_tokens(text: str) -> str:
    """`/ecole/<token>` with the token cut: a log line must not open a school's page."""
    return _LINK_TOKEN.sub(r"\1\2…", text)


class SafeRecords(logging.Filter):
    """On the handler: the message of every record (ours, uvicorn's, libraries') escaped and
    its link tokens cut; the traceback keeps its lines but loses the tokens too."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = cut_link_tokens(escape_controls(record.getMessage()))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = cut_link_tokens(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_text:
            data["exception"] = record.exc_text
        elif record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", fmt: str = "text", *, journal: bool = False) -> None:
    """Configure the root logger once (systemd adds its own timestamps: `journal` drops ours)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SafeRecords())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(levelname)s %(name)s: %(message)s" if journal else TEXT_FORMAT)
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler.executors", "uvicorn.access", "watchfiles.main", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
