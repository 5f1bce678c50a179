"""Rendering the documents of a case: hostile values come back exactly, the layout is an official one."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date

import pytest
from builders import make_decided_case, make_lawyer
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from readback import docx_texts
from sqlalchemy.orm import Session

from legalaid import migrate
from legalaid.config import Settings
from legalaid.documents import (
    KINDS,
    LOCALES,
    VARIABLES,
    DocumentNotApplicable,
    Issuer,
    RenderedDocument,
    UnknownCase,
    UnknownDocumentKind,
    UnknownLocale,
    format_date,
    render_document,
)
from legalaid.documents.context import build_context, with_full_stop
from legalaid.models.enums import Decision
from legalaid.runtime import Runtime, build_runtime

HOSTILE = [
    pytest.param("A&B <律所>", id="amp-lt-gt"),
    pytest.param("\"双引号\" 'single' “弯引号”", id="quotes"),
    pytest.param("</w:t></w:r><w:r><w:t>injected", id="xml-close"),
    pytest.param("&amp; &lt; ]]> <![CDATA[x]]>", id="entities"),
    pytest.param("{{ applicant_name }} {% if 1 %}x{% endif %}", id="jinja"),
    pytest.param("{_{ not a tag }_} {_% %_}", id="docxtpl-escapes"),
    pytest.param("张" * 5000, id="5000-chinese"),
    pytest.param("N" * 5000, id="5000-latin"),
    pytest.param("第一行\n第二行\t制表", id="newline-tab"),
    pytest.param("欧阳·娜娜 Ölçer 😀", id="unicode"),
    pytest.param("  前后空格  ", id="spaces"),
]
KIND_NAMES = sorted(KINDS)


@pytest.fixture(scope="module")
def shared_rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """One migrated database for the many renders that each make their own case: migrating for every one
    of them would be most of their time. Built as conftest's ``rt`` is, without the developer's settings."""
    folder = tmp_path_factory.mktemp("documents")
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("LEGALAID_")]:
            patch.delenv(name)
        patch.chdir(folder)
        runtime = build_runtime(Settings(data_dir=folder / "var"))
    migrate.upgrade(runtime.engine)
    yield runtime
    runtime.dispose()


def _hostile_case(session: Session, value: str, *, decision: Decision) -> str:
    lawyer = make_lawyer(session, name=value, firm_name=value, firm_email=value)
    return make_decided_case(session, applicant=value, matter=value, decision=decision, lawyer=lawyer).case_no


def _render(rt: Runtime, kind: str, value: str, locale: str) -> RenderedDocument:
    decision = Decision.denied if kind == "denial_decision" else Decision.granted
    with rt.transaction() as session:
        case_no = _hostile_case(session, value, decision=decision)
        return render_document(
            session, kind=kind, case_no=case_no, locale=locale, issuer=Issuer(center_name=value), reason=value
        )


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_hostile_values_come_back_exactly(shared_rt: Runtime, kind: str, locale: str, value: str) -> None:
    doc = _render(shared_rt, kind, value, locale)
    paragraphs, cells = docx_texts(doc.content)
    colon = "：" if locale == "zh_CN" else ":"
    to = "" if locale == "zh_CN" else "To "
    # The addressee line is the value and nothing else: nothing lost, nothing escaped twice.
    assert f"{to}{value}{colon}" in paragraphs
    assert paragraphs[0] == value  # the center's name, first title line
    assert paragraphs[-2] == value  # the center's name above the date
    if kind == "assignment_notice":
        assert cells.count(value) == 5  # recipient, matter, lawyer, firm, email
    if kind == "denial_decision":  # the reason, a paragraph of its own, with its full stop (issue 12)
        assert with_full_stop(value, locale) in paragraphs  # type: ignore[arg-type]
    assert any(value in p for p in paragraphs)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_empty_values_give_a_valid_document(rt: Runtime, kind: str) -> None:
    decision = Decision.denied if kind == "denial_decision" else Decision.granted
    with rt.transaction() as session:
        lawyer = make_lawyer(session, name="", firm_name="", firm_email=None)
        case = make_decided_case(session, applicant="", matter=None, decision=decision, lawyer=lawyer)
        doc = render_document(
            session, kind=kind, case_no=case.case_no, locale="zh_CN", reason="不符合经济困难标准"
        )
    paragraphs, cells = docx_texts(doc.content)
    assert "：" in paragraphs  # an empty addressee, the colon alone
    if kind == "assignment_notice":
        assert cells[cells.index("受援人") + 1] == ""
        assert cells[cells.index("案由") + 1] == ""


def test_control_characters_are_dropped_not_fatal(rt: Runtime) -> None:
    doc = _render(rt, "grant_decision", "王\x00小\x07明\x0c\x1b", "zh_CN")
    paragraphs, _ = docx_texts(doc.content)
    assert "王小明：" in paragraphs


def test_the_grant_decision_reads_as_expected(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_decided_case(session, case_no="2012民援第001号", applicant="王小明", matter="追索劳动报酬")
        doc = render_document(session, kind="grant_decision", case_no="2012民援第001号", locale="zh_CN")
    paragraphs, _ = docx_texts(doc.content)
    # GB/T 9704 §7.2.4 (issue 12): the first grant decision of 2012, no 第, no zeros.
    assert paragraphs[:3] == ["XX区法律援助中心", "给予法律援助决定书", "X法援决〔2012〕1号"]
    assert "王小明：" in paragraphs
    assert any(
        p.startswith(
            "你于2012年10月8日向本中心提出的追索劳动报酬（民事）法律援助申请（案号：2012民援第001号）"
        )
        for p in paragraphs
    )
    assert paragraphs[-1] == "2012年10月10日"
    assert doc.file_name == "给予法律援助决定书-2012民援第001号.docx"
    assert doc.kind == "grant_decision" and doc.locale == "zh_CN" and doc.case_no == "2012民援第001号"


def test_rendering_twice_gives_the_same_bytes(rt: Runtime) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session, lawyer=make_lawyer(session))
        first = render_document(session, kind="assignment_notice", case_no=case.case_no, locale="zh_CN")
        second = render_document(session, kind="assignment_notice", case_no=case.case_no, locale="zh_CN")
    assert first.content == second.content
    assert first.sha256 == second.sha256 and len(first.sha256) == 64


def _east_asia(run: object) -> str | None:
    fonts = run._element.rPr.rFonts  # type: ignore[attr-defined]
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_layout_is_an_official_document(shared_rt: Runtime, kind: str, locale: str) -> None:
    with shared_rt.transaction() as session:
        case = make_decided_case(
            session, decision=Decision.denied if kind == "denial_decision" else Decision.granted,
            lawyer=make_lawyer(session),
        )  # fmt: skip
        doc = render_document(session, kind=kind, case_no=case.case_no, locale=locale, reason="理由")
    document = Document(io.BytesIO(doc.content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]

    title_runs = [run for p in document.paragraphs[:2] for run in p.runs]
    assert title_runs
    for run in title_runs:
        assert _east_asia(run) == "方正小标宋简体"
        assert run.font.size.pt == 22
    body = [p for p in document.paragraphs[2:] if p.runs]
    for paragraph in body:
        assert paragraph.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
        assert 28 <= paragraph.paragraph_format.line_spacing.pt <= 29
        for run in paragraph.runs:
            assert (_east_asia(run) or "").startswith("仿宋")
            assert run.font.size.pt == 16
    if locale == "zh_CN":  # Latin text (the case number's digits) in 仿宋 too, as WPS's own templates do
        assert all(run.font.name == "仿宋_GB2312" for p in body for run in p.runs)
    # The issuing body and the date at the foot, right-aligned.
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in document.paragraphs[-2:])


def test_the_fonts_have_substitutes_in_the_font_table() -> None:
    import zipfile

    kind = KINDS["grant_decision"]
    with zipfile.ZipFile(kind.template_path("zh_CN")) as package:
        fonts = package.read("word/fontTable.xml").decode("utf-8")
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="华文中宋"/>' in fonts
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts


# Context and numbering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "locale", "expected"),
    [
        ("收入超过标准", "zh_CN", "收入超过标准。"),
        ("收入超过标准。", "zh_CN", "收入超过标准。"),
        ("理由是“收入超过标准。”", "zh_CN", "理由是“收入超过标准。”"),
        ("理由是“收入超过标准”", "zh_CN", "理由是“收入超过标准”。"),
        ("不属于法律援助范围！", "zh_CN", "不属于法律援助范围！"),
        ("收入超过标准  ", "zh_CN", "收入超过标准。"),
        ("Income above the threshold", "en", "Income above the threshold."),
        ("Income above the threshold.", "en", "Income above the threshold."),
    ],
)
def test_the_reason_ends_with_one_full_stop(reason: str, locale: str, expected: str) -> None:
    assert with_full_stop(reason, locale) == expected  # type: ignore[arg-type]


def test_the_denial_letter_prints_its_reason_with_a_full_stop(rt: Runtime) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session, decision=Decision.denied)
        doc = render_document(
            session, kind="denial_decision", case_no=case.case_no, locale="zh_CN", reason="收入超过标准"
        )
    paragraphs, _ = docx_texts(doc.content)
    assert "收入超过标准。" in paragraphs


@pytest.mark.parametrize(
    ("locale", "expected"), [("zh_CN", "2012年10月8日"), ("en", "8 October 2012")]
)  # fmt: skip
def test_dates_are_written_as_documents_write_them(locale: str, expected: str) -> None:
    assert format_date(date(2012, 10, 8), locale) == expected  # type: ignore[arg-type]
    assert format_date(None, locale) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_the_context_is_exactly_what_the_kind_promises(rt: Runtime, kind: str) -> None:
    decision = Decision.denied if kind == "denial_decision" else Decision.granted
    with rt.transaction() as session:
        case = make_decided_case(session, decision=decision, lawyer=make_lawyer(session))
        context = build_context(
            session, kind=KINDS[kind], case=case, locale="zh_CN", issuer=Issuer(), reason="收入超过标准"
        )
    assert set(context) == KINDS[kind].variables
    assert all(isinstance(value, str) for value in context.values())
    assert context["center_name"] == "XX区法律援助中心"


def test_every_variable_is_described() -> None:
    for kind in KINDS.values():
        assert kind.variables <= VARIABLES.keys()


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("grant_decision", {"decision": Decision.denied}, "was not granted"),
        ("grant_decision", {"decision": None}, "none yet"),
        ("denial_decision", {"decision": Decision.granted}, "was not denied"),
        ("assignment_notice", {"lawyer": None}, "no assigned lawyer"),
        ("assignment_notice", {"decision": Decision.denied}, "was not granted"),
        ("assignment_notice", {"assigned_on": None}, "no assigned_on"),
        ("grant_decision", {"decided_on": None}, "no decided_on"),
    ],
)
def test_a_case_not_at_the_step_is_refused(
    rt: Runtime, kind: str, changes: dict[str, object], message: str
) -> None:
    with rt.transaction() as session:
        fields: dict[str, object] = {"lawyer": make_lawyer(session), **changes}
        case = make_decided_case(session, **fields)  # type: ignore[arg-type]
        with pytest.raises(DocumentNotApplicable, match=message):
            render_document(session, kind=kind, case_no=case.case_no, locale="zh_CN", reason="理由")


def test_a_denial_needs_its_reason(rt: Runtime) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session, decision=Decision.denied)
        with pytest.raises(DocumentNotApplicable, match="--reason"):
            render_document(
                session, kind="denial_decision", case_no=case.case_no, locale="zh_CN", reason="  "
            )


def test_the_issue_date_can_be_given(rt: Runtime) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session, decided_on=None)
        doc = render_document(
            session, kind="grant_decision", case_no=case.case_no, locale="en", issued_on=date(2012, 11, 1)
        )
    paragraphs, _ = docx_texts(doc.content)
    assert paragraphs[-1] == "1 November 2012"
    assert doc.file_name.startswith("Decision to Grant Legal Aid-")


def test_unknown_kind_case_or_locale(rt: Runtime) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session)
        with pytest.raises(UnknownDocumentKind, match="known: assignment_notice, denial_decision"):
            render_document(session, kind="summons", case_no=case.case_no, locale="zh_CN")
        with pytest.raises(UnknownCase, match="no case with case number 'nope'"):
            render_document(session, kind="grant_decision", case_no="nope", locale="zh_CN")
        with pytest.raises(UnknownLocale, match="fr"):
            render_document(session, kind="grant_decision", case_no=case.case_no, locale="fr")
