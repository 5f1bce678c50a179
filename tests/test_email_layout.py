"""The HTML emails' shared markup: each locale's ``_layout.html``, the partials the digests include and the
report email's markup in ``templates/email/_report.html``. A partial is found, used, checked, exported and
replaceable in a center's own folder, and never listed as an email."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cli import main
from legalaid.mail import check_templates, render_email, template_variables
from legalaid.mail.render import LOCALES, template_names
from legalaid.resources import shipped_templates_dir

REPORT: dict[str, Any] = {
    "title": "2024年第一季度报告",
    "span": "2024-01-01 至 2024-03-31",
    "as_of": "2024-04-01",
    "headline": ["受理 12 件"],
    "files": ["report.pdf"],
    "center_name": "示例市法律援助中心",
}
DIGEST: dict[str, Any] = {
    "recipient_name": "王律师",
    "as_of": "2024-04-01",
    "items": [
        {
            "case_no": "2024-001",
            "applicant": "张三",
            "due": "签订委托协议",
            "responsible": "王律师",
            "deadline": "2024-03-30",
            "days": 2,
            "link": None,
        }
    ],
    "bases": [{"title": "《办理法律援助案件程序规定》第十四条", "basis": "五日内签订委托协议"}],
    "undeliverable": [],
    "catch_up": True,
    "center_name": "示例市法律援助中心",
}
REPORTS = ("report_center", "report_firm")
DIGESTS = ("reminder_digest", "escalation_digest")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the shipped templates, as `legalaid templates export` makes one, for a test to edit."""
    root = tmp_path / "templates"
    shutil.copytree(shipped_templates_dir(), root)
    return root


def _html(name: str, context: dict[str, Any], locale: str, root: Path | None = None) -> str:
    html = render_email(name, context, locale=locale, root=root).html
    assert html is not None
    return html


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_html_email_is_framed_by_its_locales_layout(root: Path, locale: str) -> None:
    _edit(root / "email" / locale / "_layout.html", "<head>", "<head><!-- the layout -->")
    htmls = sorted(p.stem for p in (root / "email" / locale).glob("[!_]*.html"))
    assert set(REPORTS) | set(DIGESTS) <= set(htmls)
    for name in htmls:
        source = (root / "email" / locale / f"{name}.html").read_text(encoding="utf-8")
        assert source.startswith(('{% extends "_layout.html" %}', '{% extends "_report.html" %}')), name
    for name in REPORTS:
        html = _html(name, REPORT, locale, root)
        assert html.startswith("<!DOCTYPE html>\n") and html.endswith("</body>\n</html>\n")
        assert html.count("<!-- the layout -->") == 1
        assert html.count(REPORT["center_name"]) >= 1 and html.count("<li>受理 12 件</li>") == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_an_edit_to_a_partial_shows_in_every_email_that_uses_it(root: Path, locale: str) -> None:
    folder = root / "email" / locale
    _edit(folder / "_layout.html", "<body", "<body data-edited-layout")
    _edit(folder / "_basis_list.html", "<ul", "<ul data-edited-basis")
    _edit(folder / "_catch_up_note.html", "<p", "<p data-edited-catch-up")
    _edit(root / "email" / "_report.html", "<ul>", "<ul data-edited-report>")
    for name in REPORTS:
        html = _html(name, REPORT, locale, root)
        assert "<body data-edited-layout" in html and html.count("<ul data-edited-report>") == 1
    for name in DIGESTS:
        html = _html(name, DIGEST, locale, root)
        assert "<body data-edited-layout" in html
        assert "<ul data-edited-basis" in html and "<p data-edited-catch-up" in html
    # The shipped templates are untouched.
    assert "data-edited" not in _html("report_firm", REPORT, locale)


def test_a_centers_folder_replaces_one_email_or_a_shared_partial_for_one_locale(root: Path) -> None:
    # A locale's own _report.html shadows the shared one (read when a process first renders a report).
    shared = (root / "email" / "_report.html").read_text(encoding="utf-8")
    own = shared.replace("<ul>", '<ul class="figures">', 1)
    (root / "email" / "en" / "_report.html").write_text(own, encoding="utf-8")
    assert '<ul class="figures">' in _html("report_center", REPORT, "en", root)
    assert '<ul class="figures">' not in _html("report_center", REPORT, "zh_CN", root)

    _edit(root / "email" / "en" / "report_firm.html", "Dear director,", "Dear partner,")
    assert "<p>Dear partner,</p>" in _html("report_firm", REPORT, "en", root)
    assert "<p>Dear colleagues,</p>" in _html("report_center", REPORT, "en", root)
    assert check_templates(root=root) == []


def test_partials_are_not_emails_but_their_variables_count() -> None:
    for locale in LOCALES:
        assert not [name for name in template_names(locale=locale) if name.startswith("_")]
    # center_name is printed by the layout; the headline and files lists by the shared report markup.
    assert {"center_name", "headline", "files", "title"} <= template_variables("report_firm", locale="en")
    assert {"bases", "catch_up"} <= template_variables("escalation_digest")


def test_the_check_names_a_broken_or_missing_partial(root: Path) -> None:
    layout = root / "email" / "zh_CN" / "_layout.html"
    _edit(layout, "{% block content %}{% endblock %}", "{% block content %}")
    shared = root / "email" / "_report.html"
    _edit(shared, "{{ line }}", "{{ line.__class__ }}")  # on line 10
    (root / "email" / "en" / "_basis_list.html").unlink()
    problems = check_templates(root=root)
    assert any(p.startswith(f"{layout}:") and "block" in p for p in problems), problems
    assert f"{shared}:10: uses __class__, which the sandbox refuses" in problems
    missing = [p for p in problems if "_basis_list.html is in neither" in p]
    assert {p.split(":")[0] for p in missing} == {
        str(root / "email" / "en" / f"{name}.html") for name in DIGESTS
    }


def test_export_copies_the_partials(tmp_path: Path) -> None:
    own = tmp_path / "own"
    assert main(["templates", "export", str(own)]) == 0
    for locale in LOCALES:
        for partial in ("_layout.html", "_basis_list.html", "_catch_up_note.html"):
            assert (own / "email" / locale / partial).is_file()
    assert (own / "email" / "_report.html").is_file()
    assert check_templates(root=own) == []
