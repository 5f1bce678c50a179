"""``legalaid users``: who signs in to the web console (add, list, disable, password)."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo
from typing import Annotated, Any

import typer

from cli._common import console, print_json, runtime
from legalaid.errors import UserError

app = typer.Typer(help="Users of the web console: add, list, disable, set a password.", no_args_is_help=True)

ROLE_HELP = "staff, leader, or admin (admin pages: settings, users)."
STDIN_HELP = "Read the password from standard input (the first line), never from the command line."


def _password(code: str, from_stdin: bool) -> str:
    """The password on standard input's first line (a command-line argument would stay in the shell's
    history and in the process list), checked before anything is looked up or changed."""
    from legalaid import users

    if not from_stdin:
        raise UserError('--password-stdin: required (e.g. read -s P && echo "$P" | legalaid users …)')
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError) as exc:
        raise UserError(f"--password-stdin: cannot read standard input ({exc})") from None
    password = line[:-1] if line.endswith("\n") else line
    try:
        users.check_password(code, password)
    except UserError as exc:
        raise UserError(f"--password-stdin: {exc}") from None
    return password


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The person's code in the directory.")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "staff",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Make a person of the directory a user of the web console."""
    from legalaid import users
    from legalaid.models import utcnow

    password = _password(code, password_stdin)
    with runtime().transaction() as session:
        user = users.add_user(session, code=code, role=role, password=password, now=utcnow())
        name = user.person.name
    console.print(f"user {code} ({name}) added as {role}", markup=False, highlight=False)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every user: code, name, role, active or disabled, last sign-in (never a password)."""
    from legalaid import users

    with runtime().sessions() as session:
        entries = [_entry(user, runtime().settings.tz) for user in users.list_users(session)]
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print(
            "no users (add one: legalaid users add CODE --role admin --password-stdin)", highlight=False
        )
    for entry in entries:
        state = "active" if entry["active"] else f"disabled {entry['disabled_at']}"
        seen = entry["last_sign_in_at"] or "never signed in"
        console.print(
            f"{entry['code']}  {entry['name']}  {entry['role']}  {state}  {seen}",
            markup=False,
            highlight=False,
        )


@app.command("disable")
def disable(code: Annotated[str, typer.Argument(metavar="CODE", help="The user's person code.")]) -> None:
    """Disable a user: refused at sign-in, and signed out of every browser at the next page."""
    from legalaid import users
    from legalaid.models import utcnow

    with runtime().transaction() as session:
        users.disable_user(session, code=code, now=utcnow())
    console.print(f"user {code} disabled", markup=False, highlight=False)


@app.command("password")
def password(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The user's person code.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Set a user's password (a disabled user is enabled again); every old sign-in ends."""
    from legalaid import users
    from legalaid.models import utcnow

    new = _password(code, password_stdin)
    with runtime().transaction() as session:
        users.set_password(session, code=code, password=new, now=utcnow())
    console.print(f"user {code}: password set", markup=False, highlight=False)


def _entry(user: Any, tz: tzinfo) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat(timespec="seconds") if value is not None else None

    return {
        "code": user.person.code,
        "name": user.person.name,
        "role": user.role,
        "active": user.active,
        "created_at": when(user.created_at),
        "disabled_at": when(user.disabled_at),
        "last_sign_in_at": when(user.last_sign_in_at),
    }
