"""``legalaid config``: the effective settings, every secret masked."""

from __future__ import annotations

import typer

from cli._common import console, print_json
from legalaid.config import load_settings


def register(app: typer.Typer) -> None:
    @app.command("config")
    def show_config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Print the effective settings (environment, legalaid.toml, defaults), secrets masked."""
        values = load_settings().masked()
        if as_json:
            print_json(values)
            return
        width = max(len(k) for k in values)
        for name, value in values.items():
            shown = ",".join(value) if isinstance(value, list) else ("" if value is None else value)
            # One line per setting, however narrow the terminal: a wrapped value would not grep.
            console.print(f"{name.ljust(width)}  {shown}", highlight=False, markup=False, soft_wrap=True)
