"""The case documents as printed: one A4 page each, the 落款 with the text even for a long case (issue 12),
and a PDF copy set in a Simplified Chinese font it names, when the official fonts are missing."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from builders import make_decided_case, make_firm, make_person
from pypdf import PdfReader
from required import service_missing

from legalaid.documents import Issuer, RenderedDocument, find_office, render_document, to_pdf
from legalaid.documents import fonts as fonts_module
from legalaid.documents.fonts import FontChoice, choose_fonts
from legalaid.models.enums import CaseType, Decision, FirmKind
from legalaid.runtime import Runtime

HOSTILE = 'A&B <律所> "联合"'
LONG_MATTER = "劳动争议（追索劳动报酬、经济补偿金、未签订书面劳动合同二倍工资及工伤保险待遇）"
REASON = "申请人家庭人均月收入超过本市法律援助经济困难标准，且其申请事项不属于法律援助范围"
A4 = (595.3, 841.9)


def _samples(rt: Runtime) -> dict[str, RenderedDocument]:
    """Every variant of the notice, and the two letters, for a realistic long case."""
    with rt.transaction() as session:
        firm = make_firm(
            session,
            name=f"浙江{HOSTILE}（杭州）律师事务所西湖分所",
            email="a.b.united-lawfirm.office@example-lawfirm.com.cn",
        )
        firm.address = "浙江省杭州市西湖区文三路某某号某某国际大厦十二楼1201室至1208室"
        office = make_firm(session, name="杭州市西湖区转塘街道法律服务所", email="zhuantang@example.cn")
        office.kind, office.address = FirmKind.legal_service_office, "浙江省杭州市西湖区转塘街道象山路某某号"
        lawyer = make_person(session, name="欧阳·娜娜", firm=firm)
        worker = make_person(session, name="司马相如", firm=office)
        cases = {
            "civil": make_decided_case(
                session, case_no="2012民援第035号", applicant=HOSTILE, matter=LONG_MATTER, lawyer=lawyer
            ),
            "criminal": make_decided_case(
                session, case_no="2012刑援第035号", case_type=CaseType.criminal, applicant="欧阳建国",
                matter="涉嫌故意伤害罪（被告人辩护，可能判处无期徒刑）", lawyer=lawyer,
            ),
            "office": make_decided_case(
                session, case_no="2012民援第036号", applicant="诸葛孔明", matter=LONG_MATTER, lawyer=worker
            ),
            "denied": make_decided_case(
                session, case_no="2012民援第037号", applicant=HOSTILE, matter=LONG_MATTER,
                decision=Decision.denied, assigned_on=None,
            ),
        }  # fmt: skip
        issuer = Issuer(center_name="杭州市西湖区法律援助中心")
        jobs = {
            "notice_civil": ("assignment_notice", "civil", "zh_CN"),
            "notice_criminal": ("assignment_notice", "criminal", "zh_CN"),
            "notice_legal_service_office": ("assignment_notice", "office", "zh_CN"),
            "notice_en": ("assignment_notice", "civil", "en"),
            "notice_en_legal_service_office": ("assignment_notice", "office", "en"),
            "grant_decision": ("grant_decision", "civil", "zh_CN"),
            "denial_decision": ("denial_decision", "denied", "zh_CN"),
        }
        return {
            name: render_document(
                session, kind=kind, case_no=cases[case].case_no, locale=locale, issuer=issuer, reason=REASON
            )
            for name, (kind, case, locale) in jobs.items()
        }


def _office() -> str:
    office = find_office()
    if office is None:
        service_missing("LibreOffice", "soffice is not installed")
    assert office is not None
    return office


def test_every_notice_and_letter_is_one_a4_page(rt: Runtime, tmp_path: Path) -> None:
    office = _office()
    docs = _samples(rt)
    choice = choose_fonts()
    for name, doc in docs.items():
        (tmp_path / f"{name}.docx").write_bytes(choice.apply(doc.content))
    command = [office, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless"]
    command += ["--convert-to", "pdf", "--outdir", str(tmp_path), *sorted(map(str, tmp_path.glob("*.docx")))]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    for name in docs:
        pages = PdfReader(tmp_path / f"{name}.pdf").pages
        # Before issue 12 every notice put its 落款 alone on a second page.
        assert len(pages) == 1, f"{name}: {len(pages)} pages ({tmp_path / name}.pdf)"
        size = (float(pages[0].mediabox.width), float(pages[0].mediabox.height))
        assert size == pytest.approx(A4, abs=1.0), name
        text = "".join(pages[0].extract_text().split())  # the text layer spaces Latin from Chinese
        assert "杭州市西湖区法律援助中心" in text and ("2012年10月" in text or "October2012" in text), name
    assert "特此通知" in PdfReader(tmp_path / "notice_civil.pdf").pages[0].extract_text()


def test_the_pdf_copy_names_its_fonts_and_prefers_simplified_chinese(rt: Runtime) -> None:
    office = _office()
    if shutil.which("fc-match") is None:
        service_missing("fontconfig", "fc-match is not installed")
    with rt.transaction() as session:
        case = make_decided_case(session)
        doc = render_document(session, kind="grant_decision", case_no=case.case_no, locale="zh_CN")
    pdf = to_pdf(doc, office=office)
    choice = choose_fonts()
    assert pdf.fonts == choice.describe() and pdf.fonts.startswith("fonts: ")
    embedded = _embedded_fonts(pdf.content)
    for official, used in choice.used.items():
        if used != official and official not in choice.unresolved:
            # Issue 12: with the official fonts missing, LibreOffice picked Noto … CJK JP, and said nothing.
            assert f"{official} not installed, set in {used}" in pdf.fonts
            assert not any("JP" in font for font in embedded), embedded


def _embedded_fonts(content: bytes) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


def test_fonts_are_chosen_official_then_substitute_then_simplified_chinese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listings = {
        "fc-list --format %{family}\n": "Noto Serif CJK JP\nNoto Serif CJK SC\n仿宋,FangSong\n",
        "fc-list :lang=zh-cn --format %{family}\n": "Noto Serif CJK SC\nNoto Serif CJK JP\n仿宋,FangSong\n",
        "fc-match --format %{family[0]} serif:lang=zh-cn": "Noto Serif CJK SC",
    }
    monkeypatch.setattr(fonts_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(fonts_module, "_run", lambda command: listings[" ".join(command)])
    choice = choose_fonts()
    assert choice.used == {"方正小标宋简体": "Noto Serif CJK SC", "仿宋_GB2312": "仿宋"}
    assert choice.describe() == (
        "fonts: 方正小标宋简体 not installed, set in Noto Serif CJK SC; "
        "仿宋_GB2312 not installed, set in 仿宋"
    )
    with zipfile.ZipFile(_template()) as package:
        source = package.read("word/document.xml")
    rewritten = zipfile.ZipFile(io.BytesIO(choice.apply(_template().read_bytes()))).read("word/document.xml")
    assert "仿宋_GB2312".encode() in source and "仿宋_GB2312".encode() not in rewritten
    assert b'"Noto Serif CJK SC"' in rewritten


def test_without_any_chinese_font_the_note_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        fonts_module, "_run", lambda command: "DejaVu Serif\n" if "lang" not in " ".join(command) else ""
    )
    choice = choose_fonts()
    assert choice.unresolved == {"方正小标宋简体", "仿宋_GB2312"}
    assert "no Simplified Chinese font either" in choice.describe()
    assert choice.apply(b"unchanged") == b"unchanged"
    assert FontChoice({}).describe().startswith("fonts: unknown")


def _template() -> Path:
    from legalaid.documents import KINDS

    return KINDS["grant_decision"].template_path("zh_CN")
