"""relance: chases primary schools through the constat de rentrée."""

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

DATA_DIR = Path(__file__).resolve().parent / "data"
"""The files packaged with relance: label and alias tables, the demo's open data, the locale."""

_INSTALLED_TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATES_DIR = (
    _INSTALLED_TEMPLATES
    if _INSTALLED_TEMPLATES.is_dir()
    else Path(__file__).resolve().parents[1] / "templates"
)
"""The mails and pages: the top-level templates/ of a clone, installed as daemon/templates by
`pip install .` (pyproject.toml maps it)."""


def loaded_on_use(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A package's `__getattr__` (PEP 562) giving each name of `where` from its module, imported
    on first use: a package whose modules cost time to load stays cheap to import for those who
    need only one of them (`relance --help` the configuration, `school show` the records)."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(where[name]), name)

    return __getattr__
