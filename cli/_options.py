"""Options that several commands share, declared once as the fields of a dataclass.

``@with_options`` gives a command the fields of the dataclass its last parameter is annotated with, as
options after its own (in the fields' order, with their help), and calls it with one value of that class:
``def annual(year: YearOption, delivery: Delivery)`` reads ``delivery.send``, and the help and the parsing
are what they were when each command listed the six options itself.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

Command = Callable[..., None]


def with_options(command: Command) -> Command:
    """``command`` with its last parameter (a dataclass) spread into options, as typer reads a signature."""
    signature = inspect.signature(command)
    hints = get_type_hints(command, include_extras=True)
    *own_names, bundle_name = signature.parameters
    bundle: type[Any] = hints[bundle_name]
    fields = dataclasses.fields(bundle)
    field_hints = get_type_hints(bundle, include_extras=True)
    own = [signature.parameters[name].replace(annotation=hints[name]) for name in own_names]
    shared = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=field.default,
            annotation=field_hints[field.name],
        )
        for field in fields
    ]

    @functools.wraps(command)
    def spread(**values: Any) -> None:
        options = bundle(**{field.name: values.pop(field.name) for field in fields})
        command(**values, **{bundle_name: options})

    # typer reads the parameters from the signature and their types from the annotations.
    spread.__signature__ = signature.replace(parameters=[*own, *shared])  # type: ignore[attr-defined]
    spread.__annotations__ = {parameter.name: parameter.annotation for parameter in (*own, *shared)}
    spread.__annotations__["return"] = None
    return spread
