"""Where the shipped templates and data files are, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """``templates/``: inside the package when installed from a wheel, at the repository top otherwise."""
    installed = _PACKAGE / "_templates"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "templates"
