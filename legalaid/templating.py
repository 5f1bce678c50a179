"""What the Word and the email templates share: the sandbox they render in, and finding, without
rendering, what it will refuse.

Jinja's sandbox refuses every attribute whose name starts with ``_`` (``__class__``, ``__globals__``,
``_TemplateReference__context``) when the template runs; ``legalaid templates check`` reports them before
that, with the line they are on. ``BoundedSandbox`` also refuses an expression that would build a text or
a number no document needs (``{{ 'x' * 10**10 }}``, ``{{ 9**999999999 }}``, ``{{ '%0999999999d' % 1 }}``,
``{{ name.ljust(10**9) }}``, ``{{ name|center(10**9) }}``) before it takes a worker's memory or time.
(Jinja's own sandbox already bounds ``range`` to 100,000 items; a loop nested in a loop is left to the
worker's task time limit.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

# The most characters (or items) one expression may build, and the widest field a format may pad to: the
# longest text of a document is a few thousand characters.
MAX_BUILT = 1_000_000
# The largest power a template may compute: an exponent over this many bits is refused before Python
# spends minutes on it (a figure of a report is far smaller).
MAX_POWER_BITS = 4096
# A printf field's width and precision (%-10s, %.2f, %*d), and a str.format field's ({:>10}, {:{w}}).
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPEC_NUMBER = re.compile(r"\{[^{}]*:[^{}]*?(\d+|\{)")


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with arithmetic, padding and formatting that cannot build a huge text or number."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in ("center", "indent"):
            self.filters[name] = _bounded_filter(self.filters[name], name)
        self.filters["format"] = _format_filter(self.filters["format"])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_repeat(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_printf(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # Jinja names them so; a template's keyword argument can then never clash with them.
        # The sandbox hands a template str.format and str.format_map wrapped (functools.update_wrapper).
        method = getattr(__obj, "__wrapped__", __obj)
        if isinstance(getattr(method, "__self__", None), str):
            if method.__name__ in ("format", "format_map"):
                _check_format_string(method.__self__)
            else:  # str.ljust(n), str.zfill(n), str.expandtabs(n), …
                for value in (*args, *kwargs.values()):
                    _check_size(value, f"{method.__name__}()")
        return super().call(__context, __obj, *args, **kwargs)


class BoundedImmutableSandbox(BoundedSandbox, ImmutableSandboxedEnvironment):
    """The bounded sandbox that also refuses to change a list or dict the template was given (emails)."""


def _check_size(value: object, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_BUILT:
        raise SecurityError(f"{what} with {value:,} is refused: at most {MAX_BUILT:,} characters")


def _check_power(base: object, exponent: object) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if abs(base).bit_length() * exponent > MAX_POWER_BITS:
            raise SecurityError(
                f"{base} ** {exponent} is refused: a number of more than {MAX_POWER_BITS} bits"
            )


def _check_repeat(left: object, right: object) -> None:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int):
            if len(sequence) * times > MAX_BUILT:
                raise SecurityError(
                    f"repeating {len(sequence):,} item(s) {times:,} times is refused: at most {MAX_BUILT:,}"
                )


def _check_printf(text: str) -> None:
    for field in _PERCENT_FIELD.finditer(text):
        for number in field.groups():
            if number == "*":
                raise SecurityError(f"the format {text[:40]!r} takes its width from an argument: refused")
            if number is not None:
                _check_size(int(number), f"the format {text[:40]!r}")


def _check_format_string(text: str) -> None:
    for found in _FORMAT_SPEC_NUMBER.finditer(text):
        if found.group(1) == "{":
            raise SecurityError(f"the format {text[:40]!r} takes a width from an argument: refused")
        _check_size(int(found.group(1)), f"the format {text[:40]!r}")


def _bounded_filter(original: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``|center`` or ``|indent`` whose width (positional or keyword; an int, or indent's string) is
    bounded; without one, the filter's own default (80, 4)."""

    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        width = args[0] if args else kwargs.get("width")
        _check_size(len(width) if isinstance(width, str) else width, f"|{name}")
        return original(value, *args, **kwargs)

    return bounded


def _format_filter(original: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        _check_printf(str(value))
        return original(value, *args, **kwargs)

    return bounded


def refused_names(tree: nodes.Template) -> list[tuple[str, int]]:
    """Each name the sandbox refuses that the template names literally, with its line, in source order:
    ``x.__class__``, ``x['__class__']`` and ``x|attr('__class__')``. A name built at run time
    (``x|attr('__cla' ~ 'ss__')``) is not seen here; the sandbox still refuses it when the template runs."""
    found: list[tuple[str, int]] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            first = node.args[0]
            name = first.value if isinstance(first, nodes.Const) else None
        if isinstance(name, str) and name.startswith("_"):
            found.append((name, node.lineno))
    return sorted(found, key=lambda item: item[1])
