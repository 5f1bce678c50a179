"""What every command shares: the runtime, JSON output, and one-line errors."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any, NoReturn

import typer
from rich.console import Console

from legalaid.errors import UserError
from legalaid.runtime import Runtime, build_runtime

console = Console()
err_console = Console(stderr=True)

_runtime: Runtime | None = None


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
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None
