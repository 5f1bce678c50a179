"""A template prepared once renders the same bytes as docxtpl's every step on a freshly loaded document.

``render_template`` keeps, per template content, what rendering never changes (the styles, the theme, the
document around its body) and renders only the body, headers and footers; these tests compare every zip
entry with the full docxtpl path (``_render_fully``), on the shipped templates and on templates with a
header, a footer, a table row loop and values Word and XML treat specially.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from builders import make_word_template

from legalaid.documents import TemplateError
from legalaid.documents.render import _prepare, _read, _render_fully, inspect_template, render_template
from legalaid.resources import shipped_templates_dir

# Values that XML, Jinja and docxtpl's post-processing each treat specially: escapes, braces, a line break
# (docxtpl turns it into <w:br/>), a tab, a character XML cannot carry.
AWKWARD = "甲&乙 <丙> {{ x }} {%p y %} 第一行\n第二行\t制表\x07响铃"


def _entries(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _both(path: Path, context: dict[str, str]) -> tuple[bytes, bytes]:
    data = _read(path, path.name)
    assert _prepare(data, path.name) is not None  # the prepared path, not the fallback
    return render_template(path, context), _render_fully(data, context, path.name)


SHIPPED = sorted((shipped_templates_dir() / "docx").glob("*/*.docx"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_shipped_template_renders_the_same_bytes_as_docxtpl(path: Path) -> None:
    context = dict.fromkeys(inspect_template(path).variables, AWKWARD)
    prepared, full = _both(path, context)
    assert _entries(prepared) == _entries(full)
    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(prepared)).paragraphs)
    assert "甲&乙 <丙> {{ x }}" in text and "响铃" in text and "\x07" not in text


def _with_header_footer_and_table(tmp_path: Path) -> Path:
    path = make_word_template(tmp_path, ["申请人：{{ applicant_name }}", "案号：{{ case_no }}"])
    document = docx.Document(str(path))
    section = document.sections[0]
    section.header.paragraphs[0].text = "页眉 {{ center_name }}"
    section.footer.paragraphs[0].text = "页脚 {{ case_no }}"
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "{%tr for item in items.split(',') %}", ""
    table.cell(1, 0).text, table.cell(1, 1).text = "{{ item }}", "{{ loop.index }}"
    table.cell(2, 0).text, table.cell(2, 1).text = "{%tr endfor %}", ""
    document.save(str(path))
    return path


def test_headers_footers_and_row_loops_render_the_same_bytes(tmp_path: Path) -> None:
    path = _with_header_footer_and_table(tmp_path)
    context = {"applicant_name": AWKWARD, "case_no": "2012民援第035号", "center_name": "法律援助中心",
               "items": "甲,乙,丙"}  # fmt: skip
    prepared, full = _both(path, context)
    assert _entries(prepared) == _entries(full)
    document = docx.Document(io.BytesIO(prepared))
    section = document.sections[0]
    assert section.header.paragraphs[0].text == "页眉 法律援助中心"
    assert section.footer.paragraphs[0].text == "页脚 2012民援第035号"
    assert [[cell.text for cell in row.cells] for row in document.tables[0].rows] == [
        ["甲", "1"], ["乙", "2"], ["丙", "3"],
    ]  # fmt: skip


def test_two_renders_of_one_template_are_independent(tmp_path: Path) -> None:
    path = _with_header_footer_and_table(tmp_path)
    base = {"applicant_name": "甲", "case_no": "1", "center_name": "中心", "items": "a"}
    first = render_template(path, base)
    render_template(path, {**base, "applicant_name": "乙", "items": "a,b,c"})
    assert render_template(path, base) == first


def test_an_edited_template_is_read_again(tmp_path: Path) -> None:
    path = make_word_template(tmp_path, ["旧：{{ case_no }}"])
    assert "旧：1" in _text(render_template(path, {"case_no": "1"}))
    make_word_template(tmp_path, ["新：{{ case_no }}"])
    assert "新：1" in _text(render_template(path, {"case_no": "1"}))


def test_a_template_with_a_tag_in_its_properties_takes_docxtpl_s_every_step(tmp_path: Path) -> None:
    path = make_word_template(tmp_path, ["{{ case_no }}"])
    document = docx.Document(str(path))
    document.core_properties.title = "决定书 {{ case_no }}"
    document.save(str(path))
    assert _prepare(_read(path, path.name), path.name) is None
    rendered = render_template(path, {"case_no": "2012民援第035号"})
    assert docx.Document(io.BytesIO(rendered)).core_properties.title == "决定书 2012民援第035号"


def test_a_property_that_fails_in_python_is_one_line_naming_the_template(tmp_path: Path) -> None:
    path = make_word_template(tmp_path, ["{{ case_no }}"])
    document = docx.Document(str(path))
    document.core_properties.subject = "{{ 1 / 0 }}"
    document.save(str(path))
    with pytest.raises(TemplateError, match=r"^template t\.docx: fails when it renders: ZeroDivisionError"):
        render_template(path, {"case_no": "1"}, name="t.docx")


def test_an_unknown_variable_in_a_header_is_one_line_naming_the_template(tmp_path: Path) -> None:
    path = _with_header_footer_and_table(tmp_path)
    context = {"applicant_name": "甲", "case_no": "1", "items": "a"}  # no center_name
    with pytest.raises(TemplateError, match=r"^template t\.docx: unknown variable: 'center_name'"):
        render_template(path, context, name="t.docx")


def _text(content: bytes) -> str:
    return "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(content)).paragraphs)
