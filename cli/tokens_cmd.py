"""``legalaid tokens``: the HTTP API's bearer tokens (create, list, revoke)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Any

import typer

from cli._common import console, print_json, runtime

app = typer.Typer(help="Tokens of the HTTP API: create (shown once), list, revoke.", no_args_is_help=True)

SCOPE_HELP = "read (GET), write (changes too), admin (everything)."


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Who uses it, e.g. case-system (unique).")],
    scope: Annotated[str, typer.Option("--scope", help=SCOPE_HELP)] = "read",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the key `token`).")] = False,
) -> None:
    """Create a token and print it, once: only its hash is kept, so it cannot be shown again."""
    from legalaid import tokens
    from legalaid.models import utcnow

    with runtime().transaction() as session:
        row, token = tokens.create_token(session, name=name, scope=scope, now=utcnow())
        entry = _entry(row, runtime().settings.tz)
    if as_json:
        print_json({**entry, "token": token})
        return
    console.print(token, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"token {name!r} ({scope}) created; it is shown only now: keep it where its client reads it",
        markup=False,
        highlight=False,
        style="dim",
    )


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every token's name, scope, and when it was created, last used and revoked (never the token)."""
    from legalaid import tokens

    with runtime().sessions() as session:
        entries = [_entry(row, runtime().settings.tz) for row in tokens.list_tokens(session)]
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print("no tokens (create one: legalaid tokens create NAME --scope read)", highlight=False)
    for entry in entries:
        state = f"revoked {entry['revoked_at']}" if entry["revoked_at"] else "live"
        used = entry["last_used_at"] or "never used"
        console.print(
            f"{entry['name']}  {entry['scope']}  created {entry['created_at']}  {used}  {state}",
            markup=False,
            highlight=False,
        )


@app.command("revoke")
def revoke(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The token's name (see `legalaid tokens list`).")
    ],
) -> None:
    """Revoke a token: every request with it is refused (401) from now on."""
    from legalaid import tokens
    from legalaid.models import utcnow

    with runtime().transaction() as session:
        row = tokens.revoke_token(session, name=name, now=utcnow())
        revoked_at = _entry(row, runtime().settings.tz)["revoked_at"]
    console.print(f"token {name!r} revoked at {revoked_at}", markup=False, highlight=False)


def _entry(row: Any, tz: tzinfo) -> dict[str, Any]:
    """A token's row as shown: times in the center's zone, with their offset; never the hash."""

    def when(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat(timespec="seconds") if value is not None else None

    return {
        "name": row.name,
        "scope": row.scope,
        "created_at": when(row.created_at),
        "last_used_at": when(row.last_used_at),
        "revoked_at": when(row.revoked_at),
    }
