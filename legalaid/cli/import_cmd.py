"""``legalaid import KIND FILE``: load a CSV or XLSX file; every bad row is reported and nothing written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from legalaid.cli._common import console, print_json, runtime
from legalaid.errors import UserError
from legalaid.importing import KINDS, ImportFailed, import_file

_FILE_HELP = "CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX, with a header row in English or Chinese."
_PROGRESS_HELP = "Show a progress bar (default: for big files when stderr is a terminal)."


class _NothingImported(UserError):
    """The closing line after the error lines; main() prints it and exits 1 (bad rows, not bad usage)."""

    exit_code = 1


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        kind: Annotated[str, typer.Argument(metavar="KIND", help=" | ".join(KINDS))],
        file: Annotated[Path, typer.Argument(metavar="FILE", help=_FILE_HELP)],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; write nothing.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        progress: Annotated[
            bool | None, typer.Option("--progress/--no-progress", help=_PROGRESS_HELP)
        ] = None,
    ) -> None:
        """Import firms, people, cases, consultations, the roster or leave; a bad row imports nothing."""
        try:
            result = import_file(runtime(), kind, file, dry_run=dry_run, progress=progress)
        except ImportFailed as exc:
            # Every line, unstyled: file:row:column references that an editor or a script can follow.
            sys.stderr.write("".join(f"{line}\n" for line in exc.errors))
            count = len(exc.errors)
            raise _NothingImported(
                escape(f"{file}: {count} error{'s' if count > 1 else ''}, nothing imported")
            ) from None
        if as_json:
            print_json(result.as_dict())
        else:
            console.print(result.summary(), markup=False, highlight=False, soft_wrap=True)
