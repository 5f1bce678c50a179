"""``legalaid templates check``: every template of every kind and locale, held to what its kind provides.

A template someone edited in Word or WPS may have broken in ways that only show when it renders: a tag Word
split across runs or paragraphs, a Jinja syntax error, a variable the kind does not provide, a file that is
no longer a .docx. Each is reported as one line naming the template, before a document is due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legalaid.documents.registry import KINDS, LOCALES, DocumentKind, Locale
from legalaid.documents.render import TemplateError, inspect_template, render_template
from legalaid.word import paragraph_runs

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_OPENER = re.compile(r"\{\{|\{%|\{#")
# docxtpl's {{r x }}, {{p x }}, {{tr x }}, {{tc x }} print rich text or a sub-document in place of a run,
# paragraph, row or cell; given the plain text every context holds, the text lands outside any run and
# Word shows nothing.
_RICH_PRINT = re.compile(r"\{\{(?:r|p|tr|tc)\s")
# A value that would expose missing escaping in a trial render.
_SAMPLE_VALUE = "A&B <样例> \"'{_{"


@dataclass(frozen=True)
class TemplateReport:
    """The check of one template: what it uses, what it lacks, and its problems, one line each."""

    kind: str
    locale: Locale
    template: str  # "zh_CN/grant_decision.docx", as the user finds it under templates/docx
    path: Path
    variables: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    # Works, but fragile: a tag Word split across runs renders with the first run's formatting.
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "kind": self.kind,
            "locale": self.locale,
            "path": str(self.path),
            "ok": self.ok,
            "variables": list(self.variables),
            "unknown": list(self.unknown),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def check_templates(root: Path | None = None) -> list[TemplateReport]:
    """Check the template of every kind in every locale under ``root/docx`` (the shipped ones by default)."""
    return [check_template(kind, locale, root) for locale in LOCALES for kind in KINDS.values()]


def check_template(kind: DocumentKind, locale: Locale, root: Path | None = None) -> TemplateReport:
    """Check one template: it parses, uses only ``kind``'s variables, keeps each tag in one paragraph, and
    renders to a valid document with hostile sample values."""
    path = kind.template_path(locale, root)
    report = TemplateReport(
        kind=kind.name, locale=locale, template=f"{locale}/{kind.template_name}", path=path
    )
    try:
        info = inspect_template(path, name=report.template)
    except TemplateError as exc:
        return _with(report, errors=(exc.problem,))
    unknown = tuple(sorted(info.variables - kind.variables))
    errors: list[str] = []
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        provided = ", ".join(sorted(kind.variables))
        errors.append(f"unknown variable{plural} {', '.join(unknown)} ({kind.name} provides: {provided})")
    if info.unsafe_attributes:
        names = ", ".join(sorted(info.unsafe_attributes))
        errors.append(f"uses {names}, which the sandbox refuses")
    split_errors, warnings = _scan_tags(path)
    errors.extend(split_errors)
    if not errors:
        try:
            render_template(path, dict.fromkeys(kind.variables, _SAMPLE_VALUE), name=report.template)
        except TemplateError as exc:
            errors.append(exc.problem)
    return _with(
        report,
        variables=tuple(sorted(info.variables)),
        unknown=unknown,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _with(report: TemplateReport, **changes: Any) -> TemplateReport:
    return TemplateReport(**{**report.__dict__, **changes})


def _scan_tags(path: Path) -> tuple[list[str], list[str]]:
    """Tags that leave their paragraph (errors: docxtpl would merge the paragraphs), and tags split across
    runs (warnings: docxtpl rejoins them, keeping only the first run's formatting)."""
    errors: list[str] = []
    warnings: list[str] = []
    for runs in paragraph_runs(path):
        text = "".join(runs)
        ends = _run_ends(runs)
        for match in _TAG.finditer(text):
            first, last = _run_at(ends, match.start()), _run_at(ends, match.end() - 1)
            if first != last:
                warnings.append(
                    f"tag {_quote(match.group())} is split across {last - first + 1} runs (Word formatting "
                    "inside it); retype it in one go so that it stays in one run"
                )
        for match in _RICH_PRINT.finditer(text):
            errors.append(
                f"tag {_quote(text[match.start() :])} prints rich text, but documents give plain text that "
                "Word would not show; write {{ name }} instead"
            )
        if opener := _OPENER.search(_TAG.sub("", text)):
            rest = _TAG.sub("", text)[opener.start() :]
            errors.append(
                f"tag {_quote(rest)} does not close in its paragraph; a tag must stay within one paragraph"
            )
    return errors, warnings


def _run_ends(runs: list[str]) -> list[int]:
    ends, total = [], 0
    for text in runs:
        total += len(text)
        ends.append(total)
    return ends


def _run_at(ends: list[int], offset: int) -> int:
    return next(index for index, end in enumerate(ends) if offset < end)


def _quote(tag: str) -> str:
    return f"“{tag[:40]}{'…' if len(tag) > 40 else ''}”"
