"""Where the shipped templates and data files are, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


_configured_templates: Path | None = None


def shipped_templates_dir() -> Path:
    """``templates/``: inside the package when installed from a wheel, at the repository top otherwise."""
    installed = _PACKAGE / "_templates"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "templates"


def templates_folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot stand for templates/ (it needs docx/ or email/ in it), or None when it can."""
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not ((folder / "docx").is_dir() or (folder / "email").is_dir()):
        return f"{folder} holds neither docx/ nor email/ (`legalaid templates export` makes one)"
    return None


def use_templates_dir(folder: Path | None) -> None:
    """Render from ``folder`` (the ``templates_dir`` setting) in this process; None: the shipped templates.

    Set where a process builds its runtime from its settings, so that every renderer (a worker's digests,
    a command's documents) reads the same folder without each call being handed it.
    """
    global _configured_templates
    _configured_templates = folder


def templates_dir() -> Path:
    """The templates this process renders from: the ``templates_dir`` setting, or the shipped ones."""
    return _configured_templates or shipped_templates_dir()
