"""The ``legalaid`` command. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import functools
import sys
from contextlib import AbstractContextManager, nullcontext

import typer
from sqlalchemy.exc import OperationalError

# typer vendors click as typer._click and re-exports only BadParameter of its exceptions.
from typer._click.core import Command, Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperArgument, TyperOption, _TyperParameter

from cli import (
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
    tokens_cmd,
    users_cmd,
)
from cli._common import print_error
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


def _print_version(wanted: bool) -> None:
    """``--version``: eager, so it answers before click asks for a command."""
    if wanted:
        _common.console.print(f"legalaid {_version()}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _legalaid(
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        expose_value=False,
        callback=_print_version,
        help="Print the version of legalaid and exit.",
    ),
) -> None:
    """Back-office automation for a district legal aid center (法律援助中心)."""


def _version() -> str:
    """The installed package's version (what pip shows), or the source's when it is run uninstalled."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("legalaid")
    except PackageNotFoundError:
        from legalaid import __version__

        return __version__


# The command groups (`legalaid db …`), in the order --help lists them.
_GROUPS: tuple[tuple[str, typer.Typer], ...] = (
    ("db", db_cmd.app),
    ("case", case_cmd.app),
    ("mail", mail_cmd.app),
    ("documents", documents_cmd.app),
    ("templates", documents_cmd.templates_app),
    ("calendar", calendar_cmd.app),
    ("reminders", reminders_cmd.app),
    ("report", report_cmd.app),
    ("roster", roster_cmd.app),
    ("jobs", jobs_cmd.app),
    ("tokens", tokens_cmd.app),
    ("users", users_cmd.app),
)
for group_name, group in _GROUPS:
    app.add_typer(group, name=group_name)
config_cmd.register(app)
demo_cmd.register(app)
import_cmd.register(app)
process_cmd.register(app)
status_cmd.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command; a user's mistake becomes one line on stderr and a non-zero exit, never a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    if (problem := _undecodable(args)) is not None:
        print_error(problem)
        return 2
    try:
        # Outside standalone mode click returns a command's exit code (typer.Exit) instead of raising it.
        with _logging():
            code = _command().main(args=args, standalone_mode=False, prog_name="legalaid")
    except UserError as exc:
        print_error(str(exc))
        return exc.exit_code
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print_error(f"database: {reason}")
        return 3
    except OSError as exc:
        # A folder or file the user named (--out, --dir, FILE) that cannot be written or read: name it.
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print_error(f"{where}{exc.strerror or exc}")
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _common.err_console.print("aborted")
        return 130
    except NoArgsIsHelpError as exc:  # a command group typed alone: its help is the answer
        exc.show()
        return exc.exit_code
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "legalaid"
        print_error(f"{command}: {exc.format_message()} (see {command} --help)")
        return exc.exit_code
    except ClickException as exc:
        print_error(exc.format_message())
        return exc.exit_code
    return code if isinstance(code, int) else 0


def _undecodable(args: list[str]) -> str | None:
    """The first argument that is not text, named: bytes the terminal's encoding could not decode reach
    Python as lone surrogates, which no database, file or message can hold (a case number typed in a GBK
    terminal, a file name from a Windows zip)."""
    for position, arg in enumerate(args, start=1):
        if any("\ud800" <= char <= "\udfff" for char in arg):
            raw = arg.encode("utf-8", "surrogateescape")
            return (
                f"argument {position} ({raw!r}) is not UTF-8 text: set the terminal to UTF-8, "
                "or rename the file"
            )
    return None


# typer 0.29's help labels every parameter with its Python type: "--json <bool>" on a flag, "CASE_NO <str>",
# "--out <path>". A flag takes no value, and a type name is not what the user types: the help shows the
# metavar a parameter declares (DATE, DIR, ID), a plain word for the others (TEXT, PATH, N), none on a flag.
_TYPE_WORDS = {"str": "TEXT", "path": "PATH", "int": "N", "float": "NUMBER"}


def _value_label(param: _TyperParameter, ctx: Context) -> str | None:
    if param.metavar is not None:
        return param.metavar
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        return None
    label = param.display_type(ctx)
    bare = label.strip("<>")
    return _TYPE_WORDS.get(bare, bare.upper() if bare.isidentifier() else label)


TyperOption.display_type_rich = _value_label  # type: ignore[method-assign,assignment]
TyperArgument.display_type_rich = _value_label  # type: ignore[method-assign,assignment]


def _usage_name(argument: TyperArgument) -> str:
    """An argument in the usage line as click and man pages write it: CASE_NO when required, [KEY] when
    not (typer 0.29 writes a required one {CASE_NO}, which reads like a placeholder to fill in, braces
    and all)."""
    name = argument.display_name_raw
    name = name if argument.required or name.startswith("[") else f"[{name}]"
    return name + ("..." if argument.nargs != 1 else "")


TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign,assignment]


@functools.cache
def _command() -> Command:
    """The click command of the app, built once: typer builds it anew on every ``app(...)``, reading every
    command's signature, which made each call in a process (the tests make thousands) take 0.2 s."""
    return typer.main.get_command(app)


def _logging() -> AbstractContextManager[None]:
    """The command's logging (format, level, masking) from the settings; a bad setting is left for the
    command that needs it to report (``--help`` needs none)."""
    try:
        return command_logging(load_settings())
    except UserError:
        return nullcontext()


if __name__ == "__main__":
    sys.exit(main())
