"""What the Word and the email templates share: finding, without rendering, what the sandbox will refuse.

Both render in Jinja's sandbox, which refuses every attribute whose name starts with ``_`` (``__class__``,
``__globals__``, ``_TemplateReference__context``) when the template runs. ``legalaid templates check``
reports them before that, with the line they are on.
"""

from __future__ import annotations

from jinja2 import nodes


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
