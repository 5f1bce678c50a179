"""What every command shares: the runtime, JSON output, and one-line errors."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from legalaid.errors import UserError
from legalaid.importing import FIRST_YEAR, LAST_YEAR
from legalaid.runtime import Runtime, build_runtime

console = Console()
err_console = Console(stderr=True)

_runtime: Runtime | None = None
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def runtime() -> Runtime:
    """The process's runtime, built on first use so ``--help`` needs no database."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime()
    return _runtime


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
