"""The ``legalaid`` command. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext

import typer
from sqlalchemy.exc import OperationalError

from legalaid.cli import (
    _common,
    calendar_cmd,
    case_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    documents_cmd,
    import_cmd,
    jobs_cmd,
    mail_cmd,
    process_cmd,
    reminders_cmd,
    report_cmd,
    roster_cmd,
    status_cmd,
)
from legalaid.config import load_settings
from legalaid.errors import UserError
from legalaid.logs import command_logging

app = typer.Typer(
    name="legalaid",
    help="Back-office automation for a district legal aid center (法律援助中心).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cmd.app, name="db")
app.add_typer(case_cmd.app, name="case")
app.add_typer(mail_cmd.app, name="mail")
app.add_typer(documents_cmd.app, name="documents")
app.add_typer(documents_cmd.templates_app, name="templates")
app.add_typer(calendar_cmd.app, name="calendar")
app.add_typer(reminders_cmd.app, name="reminders")
app.add_typer(report_cmd.app, name="report")
app.add_typer(roster_cmd.app, name="roster")
app.add_typer(jobs_cmd.app, name="jobs")
config_cmd.register(app)
demo_cmd.register(app)
import_cmd.register(app)
process_cmd.register(app)
status_cmd.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command; a user's mistake becomes one line on stderr and a non-zero exit, never a traceback."""
    try:
        # Outside standalone mode click returns a command's exit code (typer.Exit) instead of raising it.
        with _logging():
            code = app(args=argv, standalone_mode=False, prog_name="legalaid")
    except UserError as exc:
        _common.err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        _common.err_console.print(f"[red]error:[/red] database: {reason}", highlight=False, soft_wrap=True)
        return 3
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _common.err_console.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors (typer vendors its own click)
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(exc, "exit_code", 2))
    return code if isinstance(code, int) else 0


def _logging() -> AbstractContextManager[None]:
    """The command's logging (format, level, masking) from the settings; a bad setting is left for the
    command that needs it to report (``--help`` needs none)."""
    try:
        return command_logging(load_settings())
    except UserError:
        return nullcontext()


if __name__ == "__main__":
    sys.exit(main())
