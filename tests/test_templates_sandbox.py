"""A template someone edited — a Word template or an email template — that reaches for Python's internals
is refused by the sandbox, both when it renders and, before that, by ``legalaid templates check``; a template
that does not parse is named by its file and its line (for Word: its paragraph).

tests/test_documents_check.py has the first few vectors for Word templates; here every vector goes through
both kinds of template.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from builders import make_word_template
from docx import Document
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from cli import main
from legalaid.documents import KINDS, TemplateError, check_template
from legalaid.documents.render import render_template
from legalaid.mail import check_templates as check_email_templates
from legalaid.mail import render_email
from legalaid.resources import shipped_templates_dir

# What reaches for internals, and the name the sandbox refuses in it (NAME: a variable of the template).
# An attribute that does not exist at all (``range.__self__``) ends as an unknown name instead: refused all
# the same, and ``templates check`` names it before any rendering.
VECTORS = [
    pytest.param("{{ ''.__class__.__mro__ }}", "__class__", id="mro"),
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__", id="subclasses"),
    pytest.param("{{ cycler.__init__.__globals__ }}", "__init__", id="cycler-globals"),
    pytest.param("{{ joiner.__init__.__globals__.os }}", "__init__", id="joiner-globals"),
    pytest.param("{{ namespace.__init__.__globals__ }}", "__init__", id="namespace-globals"),
    pytest.param("{{ lipsum.__globals__ }}", "__globals__", id="lipsum-globals"),
    pytest.param("{{ lipsum.__globals__['os'].popen('id').read() }}", "__globals__", id="lipsum-os"),
    pytest.param("{{ self._TemplateReference__context }}", "_TemplateReference__context", id="self-context"),
    pytest.param("{{ self.__dict__ }}", "__dict__", id="self-dict"),
    pytest.param("{{ range.__self__ }}", "__self__", id="builtin-self"),
    pytest.param("{{ NAME._private }}", "_private", id="private-attribute"),
    pytest.param("{{ NAME['__class__'] }}", "__class__", id="subscript"),
    pytest.param("{{ NAME|attr('__class__') }}", "__class__", id="attr-filter"),
    pytest.param("{% set c = ''|attr('__class__') %}{{ c.__mro__ }}", "__class__", id="attr-filter-set"),
    pytest.param("{{ ''.__class__ if true }}", "__class__", id="conditional"),
    pytest.param("{% for x in [''] %}{{ x.__class__ }}{% endfor %}", "__class__", id="loop"),
    pytest.param(
        "{% macro m() %}{{ caller._func.__globals__ }}{% endmacro %}{% call m() %}x{% endcall %}",
        "_func",
        id="macro-caller",
    ),
]
# Reached without naming the attribute in the template: the check cannot see them, rendering refuses them.
DYNAMIC = [
    pytest.param("{{ NAME|attr('__cla' ~ 'ss__') }}", id="attr-built-name"),
    pytest.param("{{ '{0.__class__.__mro__}'.format(NAME) }}", id="format-string"),
    pytest.param("{{ '{a.__class__}'.format_map({'a': NAME}) }}", id="format-map"),
]


# Word ------------------------------------------------------------------------------------------------------


def _word_template(root: Path, text: str, kind: str = "grant_decision") -> Path:
    return make_word_template(root, ["决定书", text.replace("NAME", "applicant_name")], kind=kind)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the shipped templates (Word and email), for a test to add or break one."""
    root = tmp_path / "templates"
    shutil.copytree(shipped_templates_dir(), root)
    return root


def _word_context() -> dict[str, str]:
    return dict.fromkeys(KINDS["grant_decision"].variables, "王小明")


@pytest.mark.parametrize(("tag", "name"), VECTORS)
def test_a_word_template_is_refused_when_it_renders(tmp_path: Path, tag: str, name: str) -> None:
    path = _word_template(tmp_path, tag)
    with pytest.raises(TemplateError) as caught:
        render_template(path, _word_context(), name="zh_CN/evil.docx")
    message = str(caught.value)
    assert message.startswith(
        ("template zh_CN/evil.docx: refused by the sandbox: ", "template zh_CN/evil.docx: unknown variable: ")
    ), message
    assert name in message and "\n" not in message


@pytest.mark.parametrize(("tag", "name"), VECTORS)
def test_a_word_template_is_refused_by_the_check(root: Path, tag: str, name: str) -> None:
    _word_template(root, tag)
    errors = check_template(KINDS["grant_decision"], "zh_CN", root).errors
    assert any(name in error and "sandbox refuses" in error for error in errors), errors


@pytest.mark.parametrize("tag", DYNAMIC)
def test_a_word_template_reaching_internals_indirectly_is_refused(root: Path, tag: str) -> None:
    path = _word_template(root, tag)
    with pytest.raises(TemplateError, match="refused by the sandbox"):
        render_template(path, _word_context())
    # The check renders with sample values, so it finds what it cannot see in the source.
    errors = check_template(KINDS["grant_decision"], "zh_CN", root).errors
    assert any("refused by the sandbox" in error or "sandbox refuses" in error for error in errors), errors


@pytest.mark.parametrize(
    ("tag", "error"),
    [
        ("{{ 1/0 }}", "ZeroDivisionError"),
        ("{{ '{0}'.format_map({}) }}", "IndexError"),
        ("{{ '%d'|format('x') }}", "TypeError"),
    ],
)
def test_a_word_template_failing_in_python_is_one_line(root: Path, tag: str, error: str) -> None:
    path = _word_template(root, tag)
    with pytest.raises(TemplateError, match=rf"^template t.docx: fails when it renders: {error}: [^\n]*$"):
        render_template(path, _word_context(), name="t.docx")
    (problem,) = check_template(KINDS["grant_decision"], "zh_CN", root).errors
    assert problem.startswith(f"fails when it renders: {error}")


def test_a_word_syntax_error_is_named_with_its_paragraph(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _word_template(root, "受援人：{{ applicant_name }")
    assert main(["templates", "check", "--dir", str(root)]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("error zh_CN/grant_decision.docx"))
    assert (
        "Jinja syntax error: unexpected '}'" in line and "in paragraph “受援人：{{ applicant_name }”" in line
    )


# Email -----------------------------------------------------------------------------------------------------


def _email_template(root: Path, text: str, *, part: str = ".txt", name: str = "evil") -> Path:
    for locale in ("zh_CN", "en"):
        folder = root / "email" / locale
        (folder / f"{name}.subject.txt").write_text("主题", encoding="utf-8")
        (folder / f"{name}.txt").write_text("正文", encoding="utf-8")
        content = f"你好，\n{text.replace('NAME', 'recipient_name')}\n"
        (folder / f"{name}{part}").write_text(content, encoding="utf-8")
    return root / "email" / "zh_CN" / f"{name}{part}"


@pytest.mark.parametrize("part", [".txt", ".html", ".subject.txt"])
@pytest.mark.parametrize(("tag", "name"), VECTORS)
def test_an_email_template_is_refused_when_it_renders(root: Path, tag: str, name: str, part: str) -> None:
    _email_template(root, tag, part=part)
    with pytest.raises((SecurityError, UndefinedError)) as caught:
        render_email("evil", {"recipient_name": "王小明"}, root=root)
    assert name in str(caught.value)


@pytest.mark.parametrize(("tag", "name"), VECTORS)
def test_an_email_template_is_refused_by_the_check(root: Path, tag: str, name: str) -> None:
    path = _email_template(root, tag, part=".html")
    (problem,) = [p for p in check_email_templates(root=root) if p.startswith(f"{path}:")]
    assert problem.startswith(f"{path}:2: uses ") and problem.endswith(", which the sandbox refuses")
    assert name in problem


@pytest.mark.parametrize("tag", DYNAMIC)
def test_an_email_template_reaching_internals_indirectly_is_refused(root: Path, tag: str) -> None:
    _email_template(root, tag)
    with pytest.raises(SecurityError):
        render_email("evil", {"recipient_name": "王小明"}, root=root)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ recipient_name }", "unexpected '}'"),
        ("{% if recipient_name %}", "Unexpected end of template"),
        ("{{ recipient_name|shout }}", "No filter named 'shout'"),
        ("{% endfor %}", "Encountered unknown tag 'endfor'"),
    ],
)
@pytest.mark.parametrize("part", [".txt", ".html", ".subject.txt"])
def test_an_email_syntax_error_is_one_line_naming_file_and_line(
    root: Path, text: str, message: str, part: str
) -> None:
    path = _email_template(root, text, part=part)
    (problem,) = [p for p in check_email_templates(root=root) if p.startswith(f"{path}:")]
    assert re.fullmatch(rf"{re.escape(str(path))}:[23]: [^\n]*{re.escape(message)}[^\n]*", problem), problem


def test_templates_check_prints_the_email_problems(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _email_template(root, "{{ recipient_name }\n{{ ''.__class__ }}", part=".html")
    assert main(["templates", "check", "--dir", str(root)]) == 1
    captured = capsys.readouterr()
    assert f"error {path}:2: unexpected '}}'\n" in captured.out
    assert "ok    zh_CN/grant_decision.docx\n" in captured.out
    # One problem in each locale's copy (the unsafe name on line 3 is found once the syntax is fixed).
    assert captured.err == "error: 0 of 6 templates need fixing; 2 email template problems\n"
    path.write_text("你好，\n{{ recipient_name }}\n{{ ''.__class__ }}\n", encoding="utf-8")
    assert main(["templates", "check", "--dir", str(root)]) == 1
    assert f"error {path}:3: uses __class__, which the sandbox refuses\n" in capsys.readouterr().out


def test_a_syntax_error_fails_the_render_too(root: Path) -> None:
    _email_template(root, "{{ recipient_name }")
    with pytest.raises(TemplateSyntaxError):
        render_email("evil", {"recipient_name": "王小明"}, root=root)


# Size ------------------------------------------------------------------------------------------------------

# Expressions that would build a text or a number no document needs, and what the refusal says. Each would
# take gigabytes or minutes if it ran; each is refused before it builds anything (the test would hang or
# run out of memory otherwise).
HUGE = [
    pytest.param("{{ 'x' * 10**10 }}", "repeating 1 item(s) 10,000,000,000 times", id="repeat"),
    pytest.param("{{ 10**10 * NAME }}", "times is refused", id="repeat-reversed"),
    pytest.param("{{ [NAME] * 10**8 }}", "repeating 1 item(s) 100,000,000 times", id="repeat-list"),
    pytest.param("{{ 9**999999999 }}", "9 ** 999999999 is refused", id="power"),
    pytest.param("{{ '%0999999999d' % 1 }}", "the format '%0999999999d'", id="printf-width"),
    pytest.param("{{ '%.999999999f' % 1 }}", "the format '%.999999999f'", id="printf-precision"),
    pytest.param("{{ '%*d'|format(10**9, 1) }}", "takes its width from an argument", id="format-star"),
    pytest.param("{{ '{:>999999999}'.format(NAME) }}", "the format '{:>999999999}'", id="str-format"),
    pytest.param("{{ '{:{w}}'.format(NAME, w=10**9) }}", "takes a width from an argument", id="nested"),
    pytest.param("{{ '{a:>999999999}'.format_map({'a': 1}) }}", "the format", id="format-map"),
    pytest.param("{{ NAME.ljust(10**9) }}", "ljust() with 1,000,000,000", id="ljust"),
    pytest.param("{{ NAME.zfill(10**9) }}", "zfill() with 1,000,000,000", id="zfill"),
    pytest.param("{{ NAME|center(10**9) }}", "|center with 1,000,000,000", id="center"),
    pytest.param("{{ NAME|indent(10**9) }}", "|indent with 1,000,000,000", id="indent"),
    pytest.param("{{ NAME|indent(width=10**9) }}", "|indent with 1,000,000,000", id="indent-keyword"),
]
# What templates do with numbers and text: allowed, with the result they should have.
ORDINARY = [
    ("{{ '%.2f%%' % 12.2449 }}", "12.24%"),
    ("{{ '{:,}件'.format(1912) }}", "1,912件"),
    ("{{ '{:.1%}'.format(0.888) }}", "88.8%"),
    ("{{ '%d件'|format(165) }}", "165件"),
    ("{{ '-' * 20 }}", "-" * 20),
    ("{{ 2**10 * 1234567890 }}", str(2**10 * 1234567890)),
    ("{{ NAME.ljust(6, '＿') }}", "王小明＿＿＿"),
    ("{{ NAME|center(7) }}", "  王小明  "),
]
# Line breaks are the email's (a Word paragraph keeps one line).
ORDINARY_EMAIL = [
    ("{{ ('甲\n' ~ NAME)|indent }}", "甲\n    王小明"),  # indent's own default, 4
    ("{{ ('甲\n' ~ NAME)|indent(width='> ') }}", "甲\n> 王小明"),
]


@pytest.mark.parametrize(("tag", "refusal"), HUGE)
def test_a_word_template_building_something_huge_is_refused(tmp_path: Path, tag: str, refusal: str) -> None:
    path = _word_template(tmp_path, tag)
    with pytest.raises(TemplateError) as caught:
        render_template(path, _word_context(), name="zh_CN/huge.docx")
    message = str(caught.value)
    assert message.startswith("template zh_CN/huge.docx: refused by the sandbox: ") and refusal in message


@pytest.mark.parametrize(("tag", "refusal"), HUGE)
def test_an_email_template_building_something_huge_is_refused(root: Path, tag: str, refusal: str) -> None:
    _email_template(root, tag)
    with pytest.raises(SecurityError, match=re.escape(refusal)):
        render_email("evil", {"recipient_name": "王小明"}, root=root)


@pytest.mark.parametrize(("tag", "expected"), ORDINARY_EMAIL)
def test_ordinary_indenting_still_renders_in_an_email(root: Path, tag: str, expected: str) -> None:
    _email_template(root, tag)
    assert render_email("evil", {"recipient_name": "王小明"}, root=root).text == f"你好，\n{expected}\n"


@pytest.mark.parametrize(("tag", "expected"), ORDINARY)
def test_ordinary_arithmetic_and_formatting_still_render(
    root: Path, tmp_path: Path, tag: str, expected: str
) -> None:
    _email_template(root, tag)
    assert render_email("evil", {"recipient_name": "王小明"}, root=root).text == f"你好，\n{expected}\n"
    path = _word_template(tmp_path, tag)
    rendered = tmp_path / "out.docx"
    rendered.write_bytes(render_template(path, _word_context()))
    assert [p.text for p in Document(str(rendered)).paragraphs] == ["决定书", expected]
