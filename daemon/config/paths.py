"""Where the configuration file is (light: imported by every command before anything else)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_FILE = "relance.toml"


def config_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path | None:
    """The file to read: --config, else $RELANCE_CONFIG, else ./relance.toml if it exists."""
    if explicit:
        return Path(explicit)
    if environ.get("RELANCE_CONFIG"):
        return Path(environ["RELANCE_CONFIG"])
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None
