"""``legalaid import KIND FILE``: load a CSV or XLSX file; every bad row is reported and nothing written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import _common
from cli._common import console, print_json, runtime
from cli._console import import_progress
from legalaid.errors import UserError

# legalaid.importing.KINDS, written out: the importer is loaded by an import, not by every --help
# (tests/test_startup.py checks the two agree).
KINDS_HELP = "firms | people | cases | consultations | roster | leave"
_FILE_HELP = "CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX, with a header row in English or Chinese."
_PROGRESS_HELP = "Show a progress bar (default: for big files when stderr is a terminal)."


class _NothingImported(UserError):
    """The closing line after the error lines; main() prints it and exits 1 (bad rows, not bad usage)."""

    exit_code = 1


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        kind: Annotated[str, typer.Argument(metavar="KIND", help=KINDS_HELP)],
        # Text, made a Path here: click would make "" the current folder.
        file_name: Annotated[str, typer.Argument(metavar="FILE", help=_FILE_HELP)],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; write nothing.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        progress: Annotated[
            bool | None, typer.Option("--progress/--no-progress", help=_PROGRESS_HELP)
        ] = None,
    ) -> None:
        """Import firms, people, cases, consultations, the roster or leave; a bad row imports nothing."""
        from legalaid.casework import import_file_with_notices
        from legalaid.importing import ImportFailed

        if not file_name:
            raise UserError("FILE: empty; name the CSV or XLSX file to import")
        file = Path(file_name)
        rt = runtime()
        # Assignments and decisions the file makes are emailed with their letters, in the same transaction.
        try:
            done = import_file_with_notices(
                rt, kind, file, dry_run=dry_run, progress=import_progress(progress)
            )
        except ImportFailed as exc:
            # Every line, unstyled: file:row:column references that an editor or a script can follow.
            sys.stderr.write("".join(f"{line}\n" for line in exc.errors))
            count = len(exc.errors)
            raise _NothingImported(
                f"{file}: {count} error{'s' if count > 1 else ''}, nothing imported"
            ) from None
        result, problems, queued = done.result, done.problems, len(done.outbox_ids)
        from workers.handoff import hand_over_queued

        note = hand_over_queued(rt, done.outbox_ids)  # none in a dry run: it calls no notices
        if as_json:
            print_json({**result.as_dict(), "notices_queued": queued, "notice_problems": problems})
            return
        for line in result.notes:  # a title above the header, skipped
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(result.summary(), markup=False, highlight=False, soft_wrap=True)
        if queued:
            console.print(f"{queued} notice{'s' if queued > 1 else ''} queued for delivery", highlight=False)
        if note:
            console.print(note, markup=False, highlight=False)
        for line in problems:
            _common.err_console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
