"""`legalaid templates check` and the sandbox: broken or unsafe templates are named in one line."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from builders import make_decided_case, make_word_template
from docx import Document

from cli import main
from legalaid.documents import KINDS, TemplateError, check_template, check_templates, render_document
from legalaid.documents.render import inspect_template, render_template
from legalaid.resources import shipped_templates_dir
from legalaid.runtime import Runtime


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """A copy of the shipped templates, for a test to break one of them."""
    root = tmp_path / "edited"
    shutil.copytree(shipped_templates_dir() / "docx", root / "docx")
    return root


def _problems(root: Path) -> dict[str, list[str]]:
    return {r.template: list(r.errors) for r in check_templates(root) if r.errors}


def _errors(root: Path, kind: str = "grant_decision") -> tuple[str, ...]:
    """The errors of one zh_CN template (checking all six takes longer, and the others are the shipped)."""
    return check_template(KINDS[kind], "zh_CN", root).errors


def test_the_shipped_templates_pass(capsys: pytest.CaptureFixture[str]) -> None:
    reports = check_templates()
    assert len(reports) == len(KINDS) * 2
    assert all(r.ok and not r.warnings and not r.unknown for r in reports), [r.as_dict() for r in reports]
    assert main(["templates", "check", "--strict"]) == 0
    # One line per Word template, and one for the email templates.
    assert capsys.readouterr().out.count("ok    ") == len(reports) + 1


def test_the_shipped_templates_use_what_their_kind_gives() -> None:
    reports = check_templates()
    for report in reports:
        assert {"center_name", "document_no", "issue_date", "applicant_name"} <= set(report.variables)
    reasons = {r.kind: "reason" in r.variables for r in reports}
    assert reasons == {"grant_decision": False, "denial_decision": True, "assignment_notice": False}


def test_an_unknown_variable_fails_naming_template_and_variable(
    edited: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_word_template(edited, [["{{ applicant_name }} likes {{ favourite_colour }}"]])
    problems = _problems(edited)
    assert list(problems) == ["zh_CN/grant_decision.docx"]
    assert problems["zh_CN/grant_decision.docx"][0].startswith(
        "unknown variable favourite_colour (grant_decision"
    )

    assert main(["templates", "check", "--dir", str(edited)]) == 1
    captured = capsys.readouterr()
    assert "error zh_CN/grant_decision.docx: unknown variable favourite_colour" in captured.out
    assert "ok    zh_CN/denial_decision.docx" in captured.out
    assert "1 of 6 templates need fixing" in captured.err

    assert main(["templates", "check", "--dir", str(edited), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    broken = [t for t in report["templates"] if not t["ok"]]
    assert [(t["template"], t["unknown"]) for t in broken] == [
        ("zh_CN/grant_decision.docx", ["favourite_colour"])
    ]


def test_a_variable_of_another_kind_is_unknown_too(edited: Path) -> None:
    make_word_template(edited, [["{{ reason }}"]], kind="grant_decision")
    assert "unknown variable reason" in _errors(edited)[0]


def test_a_jinja_syntax_error_names_the_paragraph(edited: Path) -> None:
    make_word_template(edited, [["受援人："], ["{{ applicant_name }"]])
    (problem,) = _errors(edited)
    assert problem.startswith("Jinja syntax error: unexpected '}'")
    assert "in paragraph “{{ applicant_name }”" in problem


def test_an_unclosed_block_is_a_syntax_error(edited: Path) -> None:
    make_word_template(edited, [["{% if applicant_name %}"], ["x"]])
    (problem,) = _errors(edited)
    assert problem.startswith("Jinja syntax error: Unexpected end of template")


def test_an_unknown_filter_is_reported(edited: Path) -> None:
    make_word_template(edited, [["{{ applicant_name|shout }}"]])
    (problem,) = _errors(edited)
    assert "No filter named 'shout'" in problem


def test_a_tag_split_across_runs_is_a_warning(edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What Word does when a tag is typed in two goes: runs of different formatting inside the tag.
    make_word_template(edited, [["致 {{ appli", "cant_na", "me }}："]])
    (report,) = [r for r in check_templates(edited) if r.template == "zh_CN/grant_decision.docx"]
    assert report.ok  # docxtpl joins the runs, so it renders …
    assert report.warnings == (
        "tag “{{ applicant_name }}” is split across 3 runs (Word formatting inside it); "
        "retype it in one go so that it stays in one run",
    )
    assert main(["templates", "check", "--dir", str(edited)]) == 0
    assert "warn  zh_CN/grant_decision.docx: tag “{{ applicant_name }}” is split" in capsys.readouterr().out
    assert main(["templates", "check", "--dir", str(edited), "--strict"]) == 1  # … but CI can refuse it


@pytest.mark.parametrize("tag", ["{{r applicant_name }}", "{{p applicant_name }}"])
def test_a_rich_text_print_is_an_error(edited: Path, tag: str) -> None:
    # docxtpl would put the plain text outside any run, where Word does not show it.
    make_word_template(edited, [[tag]])
    (problem,) = _errors(edited)
    assert problem.startswith(f"tag “{tag}” prints rich text")


def test_a_tag_split_across_paragraphs_is_an_error(edited: Path) -> None:
    make_word_template(edited, [["{{ applicant_"], ["name }}"]])
    (problem,) = _errors(edited)
    assert (
        problem == "tag “{{ applicant_” does not close in its paragraph; a tag must stay within one paragraph"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not a zip", "not a Word document (not a zip file; save it again as .docx)"),
        (b"", "not a Word document (not a zip file; save it again as .docx)"),
        ("zip", "not a Word document (KeyError"),
    ],
)
def test_a_file_that_is_not_a_docx_is_named(edited: Path, content: bytes | str, expected: str) -> None:
    path = edited / "docx" / "zh_CN" / "assignment_notice.docx"
    if content == "zip":  # a zip, but not a Word document
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("hello.txt", "hi")
        content = buffer.getvalue()
    assert isinstance(content, bytes)
    path.write_bytes(content)
    problems = _problems(edited)
    assert list(problems) == ["zh_CN/assignment_notice.docx"]
    assert problems["zh_CN/assignment_notice.docx"][0].startswith(expected)


def test_a_missing_template_is_named(edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (edited / "docx" / "en" / "denial_decision.docx").unlink()
    assert main(["templates", "check", "--dir", str(edited)]) == 1
    out = capsys.readouterr().out
    assert "error en/denial_decision.docx: missing (expected at " in out


def test_a_broken_template_fails_rendering_with_one_line(rt: Runtime, edited: Path) -> None:
    make_word_template(edited, [["{{ applicant_name }"]])
    with rt.transaction() as session:
        case = make_decided_case(session)
        with pytest.raises(TemplateError) as caught:
            render_document(
                session, kind="grant_decision", case_no=case.case_no, locale="zh_CN", templates_root=edited
            )
    assert str(caught.value) == "template zh_CN/grant_decision.docx: Jinja syntax error: unexpected '}'"


# The sandbox ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ applicant_name.__class__.__init__.__globals__ }}",
        "{{ applicant_name['__class__'] }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_the_sandbox_refuses_private_attributes(tmp_path: Path, tag: str) -> None:
    path = make_word_template(tmp_path, [[tag]])
    with pytest.raises(TemplateError, match="refused by the sandbox") as caught:
        render_template(path, {"applicant_name": "王小明"}, name="evil.docx")
    assert str(caught.value).startswith("template evil.docx: refused by the sandbox: access to attribute '__")
    assert inspect_template(path).unsafe_attributes  # and the check sees it without rendering


def test_the_check_reports_unsafe_access(edited: Path) -> None:
    make_word_template(edited, [["{{ applicant_name }}{{ ''.__class__.__mro__ }}"]])
    (problem,) = _errors(edited)
    assert problem == "uses __class__, __mro__, which the sandbox refuses"


@pytest.mark.parametrize("filters", ["", "|safe", "|safe|safe", "|e", "|urlize"])
def test_no_filter_lets_markup_into_the_document(tmp_path: Path, filters: str) -> None:
    path = make_word_template(tmp_path, [["{{ applicant_name" + filters + " }}"]])
    value = "A&B <w:t>x</w:t> http://example.org/?a=1&b=2"
    content = render_template(path, {"applicant_name": value})
    (paragraph,) = Document(io.BytesIO(content)).paragraphs
    if filters in ("|e", "|urlize"):
        # What these filters make is shown as text, escaped once more: odd to read, never markup.
        assert paragraph.text.startswith("A&amp;B &lt;w:t&gt;x&lt;/w:t&gt; ")
    else:
        assert paragraph.text == value


def test_an_undefined_name_at_render_time_is_one_line(tmp_path: Path) -> None:
    path = make_word_template(tmp_path, [["{{ nobody }}"]])
    with pytest.raises(TemplateError, match=r"^template t.docx: unknown variable: 'nobody' is undefined$"):
        render_template(path, {}, name="t.docx")


def test_a_block_that_leaves_its_table_is_an_error_not_lost_text(tmp_path: Path) -> None:
    # Without the strict parse, docxtpl's recovering parser would quietly drop the table and the text.
    document = Document()
    document.add_table(rows=1, cols=1).cell(0, 0).paragraphs[0].add_run("{% if applicant_name == '甲' %}")
    document.add_paragraph().add_run("{% endif %}after")
    path = tmp_path / "t.docx"
    document.save(str(path))
    with pytest.raises(TemplateError, match=r"^template t.docx: renders to broken XML \(.*\); a \{%p %\}"):
        render_template(path, {"applicant_name": "乙"})


def test_a_broken_email_template_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The email templates are checked too: one that does not parse is named by its file."""
    shutil.copytree(shipped_templates_dir(), tmp_path / "templates")
    broken = tmp_path / "templates" / "email" / "zh_CN" / "case_assigned.txt"
    broken.write_text("{{ recipient_name }：\n{% if %}\n", encoding="utf-8")
    assert main(["templates", "check", "--dir", str(tmp_path / "templates")]) == 1
    captured = capsys.readouterr()
    assert "case_assigned" in captured.out and "error" in captured.out
    assert "0 of 6 templates need fixing; 1 email template problem" in captured.err
