"""relance: chases primary schools through the constat de rentrée."""

from pathlib import Path

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
