"""``legalaid db``: the database schema."""

from __future__ import annotations

import typer

from cli._common import console, print_json, runtime
from legalaid.config import mask_url

app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create the tables or bring them to the newest version; safe to run again."""
    from legalaid import migrate

    rt = runtime(create=True)
    migrate.upgrade(rt.engine)
    console.print(
        f"database {mask_url(rt.settings.resolved_database_url)} is at revision {migrate.head_revision()}"
    )


@app.command("current")
def current(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from legalaid import migrate

    rt = runtime()
    value = {"revision": migrate.current_revision(rt.engine), "head": migrate.head_revision()}
    if as_json:
        print_json(value)
    else:
        console.print(f"revision {value['revision']} (newest: {value['head']})")
