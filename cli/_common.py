"""What every command shares: the runtime, JSON output, and one-line errors.

Light on purpose: every command module imports it, and ``legalaid --help`` builds every command, so what it
imports at the top is paid by every command; the runtime and the domain are imported when first used.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from cli._console import Text, console, err_console
from legalaid.errors import UserError

if TYPE_CHECKING:
    from legalaid.config import Settings
    from legalaid.runtime import Runtime

__all__ = [
    "console",
    "err_console",
    "fail",
    "missing_database",
    "no_database",
    "one_line",
    "output_folder",
    "parse_date_option",
    "print_error",
    "print_json",
    "reset_runtime",
    "runtime",
    "warn",
]

_runtime: Runtime | None = None
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def runtime(*, create: bool = False) -> Runtime:
    """The process's runtime, built on first use so ``--help`` needs no database.

    SQLite creates its file (and make_engine its folder) on first use: only ``create`` (``db upgrade``)
    may. Any other command on a database that does not exist yet is one line saying how to create it, and
    leaves nothing behind: a command that only reads (``status``, ``jobs status``, ``report runs``) never
    writes a file.
    """
    from legalaid.config import load_settings
    from legalaid.runtime import build_runtime

    global _runtime
    if _runtime is None:
        settings = load_settings()
        if not create and (missing := missing_database(settings)) is not None:
            raise UserError(no_database(missing))
        _runtime = build_runtime(settings)
    return _runtime


def missing_database(settings: Settings) -> Path | None:
    """The SQLite file the settings name, when it does not exist yet; None for PostgreSQL (or an
    in-memory SQLite), whose server says itself what is missing."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.resolved_database_url)
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    return None if path.exists() else path


def no_database(path: Path) -> str:
    return f"no database yet ({path}): run `legalaid db upgrade` first"


def reset_runtime() -> None:
    """Forget the cached runtime (tests run many commands in one process)."""
    global _runtime
    if _runtime is not None:
        _runtime.dispose()
    _runtime = None


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fail(message: str, code: int = 2) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def print_error(message: str) -> None:
    """``error: message`` on stderr as one line: a value in the message cannot break the line, and is
    never read as console markup (a case number like ``2012[/x]`` is printed as it is)."""
    err_console.print(
        Text.assemble(("error:", "red"), " ", one_line(message)), highlight=False, soft_wrap=True
    )


def warn(lines: list[str]) -> None:
    """Each line as ``warning: line`` on stderr, as it is (never read as console markup)."""
    for line in lines:
        err_console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)


def one_line(text: str) -> str:
    """``text`` as one line: line breaks and other control characters (a value the user typed, quoted in
    an error) shown as escapes, so an error is always exactly one line."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def parse_date_option(value: str | None, option: str) -> date | None:
    """A date option, YYYY-MM-DD exactly (not 20121008, not a week date), in the years an import takes
    (and the reports' --year): date arithmetic from there never leaves what Python's dates can hold."""
    if value is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        parsed = date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None
    from legalaid.importing import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise UserError(f"{option}: {value} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")
    return parsed


def output_folder(path: Path, option: str) -> Path:
    """The folder an option names, checked before anything is done: a file where the folder (or one of
    the folders above it) should be is one line naming the option. The folder is not created here, so a
    command that fails leaves none behind; one that cannot be created is reported when it is written."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise UserError(f"{option}: {existing} is a file, not a folder")
    return path
