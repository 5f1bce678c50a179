"""Email bodies from Jinja templates in ``templates/email/<locale>/``: ``<name>.subject.txt``, ``<name>.txt``
and, optionally, ``<name>.html``.

A file whose name starts with ``_`` is a partial, not an email: a locale's ``_layout.html`` (the frame every
HTML email extends) and the pieces its emails include; ``templates/email/_*.html`` holds the markup the
locales share (the report email's), which a locale's own file of the same name replaces.

Sandboxed, StrictUndefined (a missing variable is an error, not an empty string), autoescape for HTML only.
ID-card and phone numbers are masked in everything rendered (Invariant 6), whatever the template does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
    nodes,
    select_autoescape,
)

from legalaid.logs import mask_personal
from legalaid.resources import templates_dir
from legalaid.templating import BoundedImmutableSandbox, refused_names

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_PARTS = (".subject.txt", ".txt", ".html")
_PARTIALS = "_*.html"


@dataclass(frozen=True)
class RenderedEmail:
    """The parts of an email a template gives; the outbox adds recipients, key and attachments."""

    subject: str
    text: str
    html: str | None


def email_templates_dir(root: Path | None = None) -> Path:
    return (root or templates_dir()) / "email"


@lru_cache(maxsize=16)
def _environment(folder: Path) -> BoundedImmutableSandbox:
    """The sandbox for one locale's folder. A template found there first, then in the email folder above
    it: a partial the locales share stands once, and a locale (or a center's own copy) can replace it.
    Jinja caches a template by name and reloads it when its file changes; a file added later to shadow a
    shared one is read when the process restarts."""
    return BoundedImmutableSandbox(
        loader=FileSystemLoader([folder, folder.parent]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _locale_dir(locale: str, root: Path | None) -> Path:
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r} (known: {', '.join(LOCALES)})")
    return email_templates_dir(root) / locale


def render_email(
    name: str, context: Mapping[str, Any], *, locale: str = DEFAULT_LOCALE, root: Path | None = None
) -> RenderedEmail:
    """Render the subject, text and HTML of template ``name``; personal numbers come out masked.

    Raises jinja2's UndefinedError for a variable the context lacks and TemplateNotFound for an unknown
    template, so a broken template fails the job that uses it loudly instead of sending an empty mail.
    """
    env = _environment(_locale_dir(locale, root))
    subject = env.get_template(f"{name}.subject.txt").render(context)
    # A subject is one line: a template's trailing newline or a value with a line break must not leak.
    subject = " ".join(subject.split())
    text = env.get_template(f"{name}.txt").render(context)
    try:
        html_template = env.get_template(f"{name}.html")
    except TemplateNotFound:
        html = None
    else:
        html = mask_personal(html_template.render(context))
    return RenderedEmail(subject=mask_personal(subject), text=mask_personal(text), html=html)


def template_names(*, locale: str = DEFAULT_LOCALE, root: Path | None = None) -> list[str]:
    """The email templates available in a locale (by name, without the suffixes)."""
    folder = _locale_dir(locale, root)
    names = (p.name.removesuffix(".subject.txt") for p in folder.glob("*.subject.txt"))
    return sorted(name for name in names if not name.startswith("_"))


def template_variables(name: str, *, locale: str = DEFAULT_LOCALE, root: Path | None = None) -> set[str]:
    """Every variable the template's parts use, and the layout and partials they extend or include, for
    ``legalaid templates check`` and for tests."""
    env = _environment(_locale_dir(locale, root))
    assert env.loader is not None
    found: set[str] = set()
    pending = [f"{name}{suffix}" for suffix in _PARTS]
    seen: set[str] = set()
    while pending:
        template = pending.pop()
        if template in seen:
            continue
        seen.add(template)
        try:
            source, _, _ = env.loader.get_source(env, template)
        except TemplateNotFound:
            continue
        tree = env.parse(source)
        found |= meta.find_undeclared_variables(tree)
        pending.extend(t for t in meta.find_referenced_templates(tree) if t is not None)
    return found


def check_templates(*, root: Path | None = None) -> list[str]:
    """Problems with the email templates, one line each naming the file (and the line, where there is
    one): a part or a partial that does not parse or uses an unknown filter, a name the sandbox refuses, a
    layout or partial that is not there, a missing text part, a template missing in a locale."""
    problems: list[str] = []
    by_locale: dict[str, set[str]] = {}
    for locale in LOCALES:
        folder = _locale_dir(locale, root)
        env = _environment(folder)
        names = set(template_names(locale=locale, root=root))
        by_locale[locale] = names
        for name in sorted(names):
            if not (folder / f"{name}.txt").exists():
                problems.append(f"{folder / name}.txt: missing (every email needs a text part)")
            for suffix in _PARTS:
                if (path := folder / f"{name}{suffix}").exists():
                    problems.extend(_part_problems(env, path))
        for path in sorted(folder.glob(_PARTIALS)):
            problems.extend(_part_problems(env, path))
        # The shared partials, in this locale's environment: the layout they extend is the locale's own.
        for path in sorted(folder.parent.glob(_PARTIALS)):
            problems.extend(p for p in _part_problems(env, path) if p not in problems)
    for locale, names in by_locale.items():
        for missing in sorted(set().union(*by_locale.values()) - names):
            problems.append(f"{_locale_dir(locale, root) / missing}.subject.txt: missing in {locale}")
    return problems


def _part_problems(env: BoundedImmutableSandbox, path: Path) -> list[str]:
    """``file:line: problem`` for one part: one line even for Jinja's multi-line messages."""
    try:
        tree = env.parse(path.read_text(encoding="utf-8"), name=path.name)
        env.compile(tree)  # finds unknown filters and tests, which parsing alone lets through
    except UnicodeDecodeError as exc:
        return [f"{path}: not UTF-8 text (byte {exc.start})"]
    except OSError as exc:
        return [f"{path}: cannot be read: {exc.strerror}"]
    except TemplateSyntaxError as exc:
        return [f"{path}:{exc.lineno}: {' '.join(str(exc.message).split())}"]
    refused: dict[int, list[str]] = {}
    for name, line in refused_names(tree):
        refused.setdefault(line, []).append(name)
    return [
        f"{path}:{line}: uses {', '.join(sorted(set(names)))}, which the sandbox refuses"
        for line, names in refused.items()
    ] + _missing_references(env, tree, path)


def _missing_references(env: BoundedImmutableSandbox, tree: nodes.Template, path: Path) -> list[str]:
    """``file:line: problem`` for each layout or partial the template names literally that the locale's
    folder and the shared email folder lack: found now rather than when the email is due."""
    loader = env.loader
    assert isinstance(loader, FileSystemLoader)
    missing: list[str] = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        named = getattr(node, "template", None)  # a name computed at run time is left to the render
        if not isinstance(named, nodes.Const) or not isinstance(named.value, str):
            continue
        try:
            loader.get_source(env, named.value)
        except TemplateNotFound:
            if not (isinstance(node, nodes.Include) and node.ignore_missing):
                folders = " nor ".join(loader.searchpath)
                missing.append(f"{path}:{node.lineno}: {named.value} is in neither {folders}")
    return missing
