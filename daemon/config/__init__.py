"""Configuration: the settings table, how it is loaded, and how it is written back.

The names below are loaded on first use (PEP 562): `daemon.config.paths` alone, which says where
the file is, costs nothing at start; the settings table (pydantic) is built when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from daemon import loaded_on_use

if TYPE_CHECKING:
    from daemon.config.loading import ConfigError, Problem, check_file, load_settings
    from daemon.config.paths import config_path
    from daemon.config.settings import Settings

_WHERE = {
    "ConfigError": "daemon.config.loading",
    "Problem": "daemon.config.loading",
    "check_file": "daemon.config.loading",
    "load_settings": "daemon.config.loading",
    "config_path": "daemon.config.paths",
    "Settings": "daemon.config.settings",
}
__getattr__ = loaded_on_use(__name__, _WHERE)


__all__ = ["ConfigError", "Problem", "Settings", "check_file", "config_path", "load_settings"]
