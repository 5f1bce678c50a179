"""The docxtpl wrapper, and the only module that imports docxtpl.

Every template renders in a sandboxed Jinja environment with autoescape and StrictUndefined (the README's
invariant 5): docxtpl's default is neither, and then a value with ``&`` or ``<`` silently loses text, because
docxtpl re-parses the rendered XML in recover mode. Here a rendered body that is not well-formed XML is an
error instead, and each template problem becomes one TemplateError line naming the template.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from markupsafe import Markup, escape

from legalaid.errors import UserError
from legalaid.ooxml import normalised_zip
from legalaid.templating import BoundedSandbox, refused_names

# Characters XML 1.0 cannot carry at all (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE, U+FFFF). A value holding one would make the document unreadable, so they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAGS = re.compile(r"<[^>]+>")


class TemplateError(UserError):
    """A template that cannot be used as it is: broken zip, Jinja error, unknown variable, unsafe access."""

    def __init__(self, template: str, problem: str) -> None:
        super().__init__(f"template {template}: {problem}")
        self.template = template
        self.problem = problem


def _as_text(value: Any) -> Markup:
    """What a ``{{ … }}`` prints: the value as escaped text, whatever filters made of it.

    Jinja applies this before autoescape. Escaping ``str(value)`` ourselves means ``|safe`` or ``|urlize``
    in an edited template cannot put raw markup into the XML. Braces become character references so that
    docxtpl's post-processing (which turns ``{_{`` into ``{{``) cannot change a value.
    """
    text = _NOT_XML.sub("", str(value))
    return Markup(str(escape(text)).replace("{", "&#123;").replace("}", "&#125;"))


def make_environment() -> BoundedSandbox:
    """The Jinja environment every template renders in: sandboxed, autoescaping, strict about names."""
    return BoundedSandbox(autoescape=True, undefined=StrictUndefined, finalize=_as_text)


class _StrictDocxTemplate(DocxTemplate):  # type: ignore[misc]  # docxtpl ships no type information
    def fix_tables(self, xml: str) -> Any:
        # docxtpl parses the rendered body with recover=True, which silently drops what it cannot parse;
        # parsing strictly first turns that loss into an error.
        try:
            ElementTree.fromstring(xml)
        except ElementTree.ParseError as exc:
            raise _MalformedOutput(str(exc)) from None
        return super().fix_tables(xml)


class _MalformedOutput(Exception):
    pass


def render_template(path: Path, context: Mapping[str, str], *, name: str | None = None) -> bytes:
    """The .docx at ``path`` rendered with ``context``, as bytes; a TemplateError if the template is bad."""
    label = name or path.name
    template = _load(_StrictDocxTemplate, path, label)
    try:
        template.render(dict(context), make_environment(), autoescape=True)
    except SecurityError as exc:
        raise TemplateError(label, f"refused by the sandbox: {exc}") from None
    except UndefinedError as exc:
        raise TemplateError(label, f"unknown variable: {exc}") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(label, f"Jinja syntax error: {exc.message}") from None
    except JinjaTemplateError as exc:
        raise TemplateError(label, f"Jinja error: {exc}") from None
    # python-docx parses a rendered header or footer strictly (lxml's XMLSyntaxError is a SyntaxError);
    # _StrictDocxTemplate the body.
    except (_MalformedOutput, SyntaxError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(
            label, f"renders to broken XML ({first_line}); a {{%p %}} or {{%tr %}} block may be unbalanced"
        ) from None
    # An expression of the template that fails in Python itself ({{ 1/0 }}, a format string whose fields
    # name no argument): the template's fault too, reported as one line rather than a traceback.
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise TemplateError(label, f"fails when it renders: {type(exc).__name__}: {first_line}") from None
    out = io.BytesIO()
    template.save(out)
    return normalised_zip(out.getvalue())


@dataclass(frozen=True)
class TemplateInfo:
    """What a template asks of its context, found without rendering it."""

    variables: frozenset[str]
    # Attribute names starting with "_" (``''.__class__``): the sandbox refuses them when rendering.
    unsafe_attributes: frozenset[str]


def inspect_template(path: Path, *, name: str | None = None) -> TemplateInfo:
    """The variables a template uses (docxtpl's ``get_undeclared_template_variables``) and unsafe accesses.

    A template that does not parse is a TemplateError naming the paragraph of the error.
    """
    label = name or path.name
    template = _load(DocxTemplate, path, label)
    env = make_environment()
    source = _template_source(template)
    try:
        tree = env.parse(source)
        env.compile(tree)  # finds unknown filters and tests, which parsing alone lets through
    except TemplateSyntaxError as exc:
        raise TemplateError(label, f"Jinja syntax error: {exc.message}{_near(source, exc.lineno)}") from None
    except JinjaTemplateError as exc:
        raise TemplateError(label, f"Jinja error: {exc}") from None
    variables = template.get_undeclared_template_variables(jinja_env=env)
    return TemplateInfo(
        variables=frozenset(variables),
        unsafe_attributes=frozenset(name for name, _line in refused_names(tree)),
    )


def _load(factory: type[Any], path: Path, label: str) -> Any:
    """A DocxTemplate of the file at ``path`` with its document loaded; TemplateError if it is not one."""
    template = factory(io.BytesIO(_read(path, label)))
    try:
        template.init_docx()
    # python-docx raises what its parts raise on a zip that is not a Word document (KeyError for a missing
    # part, ValueError for another content type, XMLSyntaxError for a damaged part): all mean the same here.
    except Exception as exc:
        raise TemplateError(label, f"not a Word document ({type(exc).__name__}: {exc})") from None
    return template


def _read(path: Path, label: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(label, f"missing (expected at {path})") from None
    except OSError as exc:
        raise TemplateError(label, f"cannot be read: {exc.strerror}") from None
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(label, "not a Word document (not a zip file; save it again as .docx)")
    return data


def _template_source(template: Any) -> str:
    """The Jinja source docxtpl renders: body, headers and footers, one paragraph per line."""
    document = template.get_docx()
    parts = [template.xml_to_string(document._element.body)]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        parts.extend(template.get_part_xml(part) for _key, part in template.get_headers_footers(uri))
    source = "".join(template.patch_xml(part) for part in parts)
    # As docxtpl does when it renders, so that an error's line number points at a paragraph.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", source)


def _near(source: str, lineno: int | None) -> str:
    """`` in paragraph “…”``: the text of the paragraph where Jinja stopped, as the editor sees it."""
    lines = source.splitlines()
    if not lineno or lineno > len(lines):
        return ""
    text = " ".join(_TAGS.sub("", lines[lineno - 1]).split())
    if not text:
        return ""
    return f" in paragraph “{text[:60]}{'…' if len(text) > 60 else ''}”"
