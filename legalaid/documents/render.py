"""The docxtpl wrapper, and the only module that imports docxtpl.

Every template renders in a sandboxed Jinja environment with autoescape and StrictUndefined (the README's
invariant 5): docxtpl's default is neither, and then a value with ``&`` or ``<`` silently loses text, because
docxtpl re-parses the rendered XML in recover mode. Here a rendered body that is not well-formed XML is an
error instead, and each template problem becomes one TemplateError line naming the template.
"""

from __future__ import annotations

import copy
import functools
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from lxml import etree
from markupsafe import Markup, escape

from legalaid.errors import UserError
from legalaid.ooxml import appended_to_zip, normalised_zip
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


_STRICT_PARSER = etree.XMLParser(resolve_entities=False)  # recover=False: a broken body is an error


class _StrictDocxTemplate(DocxTemplate):  # type: ignore[misc]  # docxtpl ships no type information
    def fix_tables(self, xml: str) -> Any:
        # docxtpl parses the rendered body with recover=True, which silently drops what it cannot parse;
        # parsing strictly first turns that loss into an error.
        try:
            etree.fromstring(xml, _STRICT_PARSER)
        except etree.XMLSyntaxError as exc:
            raise _MalformedOutput(str(exc)) from None
        return super().fix_tables(xml)


class _MalformedOutput(Exception):
    pass


def render_template(path: Path, context: Mapping[str, str], *, name: str | None = None) -> bytes:
    """The .docx at ``path`` rendered with ``context``, as bytes; a TemplateError if the template is bad.

    The file is read on every call (a center may edit it at any time); what rendering never changes is
    prepared once per content (``_prepare``). The bytes are the same as docxtpl's own steps on a freshly
    loaded document give (a test compares every entry), which a template with a tag in its properties or
    its footnotes still takes.
    """
    label = name or path.name
    data = _read(path, label)
    prepared = _prepare(data, label)
    with _template_errors(label):
        if prepared is None:
            return _render_fully(data, context, label)
        return prepared.render(context)


def _render_fully(data: bytes, context: Mapping[str, str], label: str) -> bytes:
    """docxtpl's every step on a freshly loaded document: its render, its save, then the zip normalised."""
    template = _load(_StrictDocxTemplate, data, label)
    template.render(dict(context), make_environment(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return normalised_zip(out.getvalue())


@contextmanager
def _template_errors(label: str) -> Iterator[None]:
    """Whatever a template's rendering raises, as one TemplateError line naming the template."""
    try:
        yield
    except SecurityError as exc:
        raise TemplateError(label, f"refused by the sandbox: {exc}") from None
    except UndefinedError as exc:
        raise TemplateError(label, f"unknown variable: {exc}") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(label, f"Jinja syntax error: {exc.message}") from None
    except JinjaTemplateError as exc:
        raise TemplateError(label, f"Jinja error: {exc}") from None
    # lxml parses a rendered header or footer strictly (its XMLSyntaxError is a SyntaxError);
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


# Rendering a template -------------------------------------------------------------------------------------
#
# docxtpl renders by loading the whole document with python-docx, rendering the body, headers and footers
# as Jinja text, then serialising and compressing every part again. For the 指派通知书 that is ≈ 50 ms, most
# of it spent on the 0.8 MB of styles rendering never changes. A prepared template keeps, per content, the
# Jinja sources docxtpl makes of the rendered parts (compiled on first use) and every other entry already
# serialised, normalised and compressed; a render then runs docxtpl's own steps on the rendered parts only
# and appends them to a copy of that zip (≈ 2 ms).

_XML_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)  # python-docx's options
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


class _CompiledOnce:
    """What docxtpl's ``render_xml_part`` asks of a Jinja environment (``from_string``), each source
    compiled once per prepared template."""

    def __init__(self) -> None:
        self._environment = make_environment()
        self._compiled: dict[str, Template] = {}

    def from_string(self, source: str) -> Template:
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = self._compiled[source] = self._environment.from_string(source)
        return compiled


@dataclass(frozen=True)
class _Part:
    """A part the template renders: its zip entry and the Jinja source docxtpl makes of it."""

    entry: str
    source: str
    encoding: str  # a header's or footer's own declaration; the body is in the document's UTF-8


@dataclass(frozen=True)
class _PreparedTemplate:
    """One template's content, ready to render: the parts rendering changes, and the rest of the zip."""

    body: _Part
    headers_footers: tuple[_Part, ...]
    # The document's root element with its body's place held by a comment (at body_index), as bytes: each
    # render parses its own, lxml's trees being one thread's to use.
    document: bytes
    body_index: int
    unchanged: bytes  # the normalised zip of every other entry
    compiled: _CompiledOnce

    def render(self, context: Mapping[str, str]) -> bytes:
        # docxtpl's steps on one template object made per render (it keeps state while rendering), with no
        # document loaded: they need none.
        steps = _StrictDocxTemplate(io.BytesIO())
        steps.docx_ids_index = 1000  # as render_init sets it
        values = dict(context)
        rendered = steps.render_xml_part(self.body.source, None, values, self.compiled)
        body = steps.fix_tables(rendered)
        steps.fix_docpr_ids(body)
        # As docxtpl's map_tree puts the body in place (lxml drops the namespace declarations the document
        # makes already) and python-docx serialises the document.
        document = etree.fromstring(self.document, _XML_PARSER)
        document.replace(document[self.body_index], body)
        entries = {self.body.entry: _serialised(document)}
        for part in self.headers_footers:
            xml = steps.render_xml_part(part.source, None, values, self.compiled).encode(part.encoding)
            # As python-docx loads the rendered part and serialises it when saving.
            entries[part.entry] = _serialised(etree.fromstring(xml, _XML_PARSER))
        return appended_to_zip(self.unchanged, entries)


def _serialised(element: Any) -> bytes:
    return bytes(etree.tostring(element, encoding="UTF-8", standalone=True))  # python-docx's part XML


def _header_or_footer(template: Any, part: Any) -> _Part:
    xml = template.get_part_xml(part)
    encoding = template.get_headers_footers_encoding(xml)
    return _Part(part.partname.membername, template.patch_xml(xml), encoding)


@functools.lru_cache(maxsize=16)
def _prepare(data: bytes, label: str) -> _PreparedTemplate | None:
    """``data`` (a template's bytes) prepared for rendering, or None when it needs docxtpl's every step: a
    tag in its core properties (title, subject, …) or in footnotes."""
    template = _load(DocxTemplate, data, label)
    document = template.docx
    if any(part.content_type == _FOOTNOTES for part in document.part.package.iter_parts()):
        return None
    try:
        template.render_properties({}, make_environment())  # as rendering would: a property of plain text
    except Exception:  # a property with a tag (or a broken one): docxtpl's every step, which reports it
        return None
    with _template_errors(label):  # a tag docxtpl cannot turn into Jinja source
        body = _Part(document.part.partname.membername, template.patch_xml(template.get_xml()), "utf-8")
        headers_footers = tuple(
            _header_or_footer(template, part)
            for uri in (template.HEADER_URI, template.FOOTER_URI)
            for _key, part in template.get_headers_footers(uri)
        )
    root = copy.deepcopy(document.element)
    body_index = root.index(root.body)
    root.replace(root.body, etree.Comment("the rendered body"))
    out = io.BytesIO()
    document.save(out)  # every part as python-docx writes it, the properties as rendering leaves them
    rendered_entries = {body.entry, *(part.entry for part in headers_footers)}
    return _PreparedTemplate(
        body=body,
        document=_serialised(root),
        body_index=body_index,
        headers_footers=headers_footers,
        unchanged=normalised_zip(out.getvalue(), leave_out=rendered_entries),
        compiled=_CompiledOnce(),
    )


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
    template = _load(DocxTemplate, _read(path, label), label)
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


def _load(factory: type[Any], data: bytes, label: str) -> Any:
    """A DocxTemplate of ``data`` (a file's bytes), its document loaded; TemplateError if it is not one."""
    template = factory(io.BytesIO(data))
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
