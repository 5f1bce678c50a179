"""The layers you can see in the folders: dependencies point one way, ``cli, web → schedules, workers →
tasks → legalaid``, and the domain package loads no queue, scheduler or web framework.

Every module is read with ``ast`` (nothing is imported), so an import inside a function, behind
``TYPE_CHECKING`` or spelled as ``importlib.import_module("…")`` counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FRONT_DOORS = ("cli", "web")
QUEUE_AND_SCHEDULER = ("celery", "kombu", "billiard", "apscheduler")
WEB_FRAMEWORK = ("fastapi", "starlette", "uvicorn")

# Which top-level names each layer must never import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "legalaid": (*FRONT_DOORS, "tasks", "workers", "schedules", *QUEUE_AND_SCHEDULER, *WEB_FRAMEWORK),
    "tasks": (*FRONT_DOORS, "workers", "schedules", "apscheduler", *WEB_FRAMEWORK),
    "workers": (*FRONT_DOORS, "schedules", "apscheduler", *WEB_FRAMEWORK),
    "schedules": FRONT_DOORS,
    # The HTTP API is a front door beside the command line: neither imports the other.
    "web": ("cli",),
}


def imported_names(source: str, *, package: str) -> Iterator[tuple[int, str]]:
    """Every module ``source`` imports, with its line: statements anywhere in the tree, relative imports
    resolved against ``package``, and the string given to ``importlib.import_module`` or ``__import__``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import stays inside its own package
                yield node.lineno, package
            elif node.module is not None:
                yield node.lineno, node.module
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def violations(layer: str) -> list[str]:
    forbidden = FORBIDDEN[layer]
    found = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, name in imported_names(path.read_text(encoding="utf-8"), package=layer):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    assert violations(layer) == []


def test_the_domain_package_is_where_the_check_looks() -> None:
    # A guard against the check passing because it read nothing.
    assert len(list((ROOT / "legalaid").rglob("*.py"))) > 50


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import celery\n", "celery"),
        ("from kombu.entity import Queue\n", "kombu.entity"),
        ("def run():\n    from workers import make_celery\n", "workers"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import apscheduler\n", "apscheduler"),
        ("import importlib\nimportlib.import_module('cli.demo')\n", "cli.demo"),
        ("from importlib import import_module\nimport_module('tasks.mail')\n", "tasks.mail"),
        ("__import__('schedules')\n", "schedules"),
    ],
)
def test_the_check_sees_an_import_wherever_it_stands(source: str, expected: str) -> None:
    assert expected in [name for _line, name in imported_names(source, package="legalaid")]
