"""relance: chases primary schools through the constat de rentrée."""

from pathlib import Path

__version__ = "0.1.0"

DATA_DIR = Path(__file__).resolve().parent / "data"
"""The files packaged with relance: label and alias tables, the demo's open data, the locale."""
