"""relance: chases primary schools through the constat de rentrée."""

__version__ = "0.1.0"
