"""Writing settings back as TOML: `relance config show` and the example file."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel
from pydantic.fields import FieldInfo

MASK = "********"
URL_MASK = "***"  # inside a URL: short, and still a valid URL


def toml_value(value: Any) -> str:
    """One TOML value (strings, numbers, booleans, dates, times, lists, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, BaseModel):
        return toml_value(value.model_dump())
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def is_section(info: FieldInfo) -> bool:
    annotation = info.annotation
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def is_secret(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("secret"))


def walk(
    model: BaseModel, path: tuple[str, ...] = (), help_text: str = ""
) -> Iterator[tuple[tuple[str, ...], Any, str]]:
    """Yield (path, model, help) for the model and every nested section, depth first."""
    yield path, model, help_text or (type(model).__doc__ or "").strip()
    for name, info in type(model).model_fields.items():
        if is_section(info):
            yield from walk(getattr(model, name), (*path, name), info.description or "")


def render(
    model: BaseModel,
    *,
    mask_secrets: bool,
    with_help: bool,
    value_of: Callable[[tuple[str, ...], Any], Any] | None = None,
) -> str:
    """The whole settings object as a TOML document, one table per section."""
    out: list[str] = []
    for path, section, help_text in walk(model):
        lines = _section_lines(path, section, mask_secrets, with_help, value_of)
        if not lines and path:
            continue
        if path:
            if out:
                out.append("")
            if with_help and help_text:
                out.append(f"# {help_text.splitlines()[0]}")
            out.append(f"[{'.'.join(path)}]")
        out.extend(lines)
    return "\n".join(out) + "\n"


def _section_lines(
    path: tuple[str, ...],
    section: BaseModel,
    mask_secrets: bool,
    with_help: bool,
    value_of: Callable[[tuple[str, ...], Any], Any] | None,
) -> list[str]:
    lines: list[str] = []
    for name, info in type(section).model_fields.items():
        if is_section(info):
            continue
        value = getattr(section, name)
        if value_of is not None:
            value = value_of((*path, name), value)
        if with_help and info.description:
            lines.append(f"# {info.description}")
        if mask_secrets and is_secret(info) and value:
            value = {k: MASK for k in value} if isinstance(value, dict) else MASK
        if value is None:
            lines.append(f"# {name} = (non défini)")
        else:
            lines.append(f"{name} = {toml_value(value)}")
    return lines


_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)
_SECRET_ANYWHERE = re.compile(
    r"(?P<userinfo>//[^/?#@]*?:)[^/?#]*@|(?P<param>[\w.-]*(?:pass|pwd|secret|token|key)[\w.-]*=)"
    r"[^&;\s]*",
    re.IGNORECASE,
)


def _mask_match(match: re.Match[str]) -> str:
    if match["userinfo"]:
        return match["userinfo"] + URL_MASK + "@"
    return match["param"] + URL_MASK


def masked_url(url: str) -> str:
    """A database URL fit to print: the password of its user-info and every query parameter
    that names a secret (`password=`, `sslpassword=`, `…token=`) replaced by `URL_MASK`. A URL
    that does not even parse is masked by pattern, never printed as is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed host or port
    except ValueError:
        return _SECRET_ANYWHERE.sub(_mask_match, url)
    netloc = parts.netloc
    user, at, host = netloc.rpartition("@")
    if at and ":" in user:
        netloc = f"{user.split(':', 1)[0]}:{URL_MASK}@{host}"
    query = "&".join(
        f"{name}={URL_MASK}" if _SECRET_PARAM.search(name) else f"{name}{eq}{value}"
        for name, eq, value in (p.partition("=") for p in parts.query.split("&") if p)
    )
    # the parts replaced in place (urlunsplit would drop a slash of `sqlite:////abs/path`)
    masked = url.replace("//" + parts.netloc, "//" + netloc, 1) if netloc != parts.netloc else url
    return masked.replace("?" + parts.query, "?" + query, 1) if query != parts.query else masked
