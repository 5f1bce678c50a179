"""The seed report's figures, reproduced: the demo center (generated to match the 2012 work report and
imported from its files) gives 147 → 165 cases, 88 → 125 civil, 111 migrant workers, 1,912 hotline contacts
and the desk's 482 / 23 / 47, in a statistical year from November; the Word report, read back with
python-docx, states each of the seed's sentences with those numbers."""

from __future__ import annotations

import email
import email.policy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from matplotlib import font_manager
from readback import docx_text

from cli import main
from cli.demo.data import generate
from cli.demo.run import run_demo
from legalaid.config import Settings
from legalaid.reports import ReportRequest, render_report, statistical_quarter, statistical_year
from legalaid.reports.charts import chart_font, cjk_font_path, has_chinese, render_chart
from legalaid.reports.content import BarChart
from legalaid.runtime import build_runtime

SEED_SENTENCES = (
    "共办理法律援助案件165件，比去年增长12.24%",
    "其中民事法律援助案件为125件，比去年增长42.05%",
    "刑事法律援助案件为40件，比去年下降32.20%",
    "以外来务工人员为受援人的民事案件达111件，占民事案件总数的88.8%",
    "148法律服务热线共接待群众来电来访1912件，比去年增长24.16%",
    "解答各类咨询482例，成功调解劳动纠纷23起，转为法律援助案件47起",
    "2012年度（2011年11月1日至2012年10月31日）",
)


@dataclass(frozen=True)
class Demo:
    settings: Settings
    summary: dict[str, object]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("seed")
    with pytest.MonkeyPatch.context() as patch:
        for name in [
            k for k in os.environ if k.startswith("LEGALAID_") and not k.startswith("LEGALAID_TEST")
        ]:
            patch.delenv(name)
        patch.chdir(folder)
        settings = Settings(data_dir=folder / "var", report_year_start_month=11)
        report = run_demo(settings)
        yield Demo(settings, report.steps["report"])


def test_the_demo_writes_the_annual_report_with_the_seed_sentences(demo: Demo) -> None:
    docx_path, xlsx_path = (Path(p) for p in demo.summary["files"])  # type: ignore[attr-defined]
    assert docx_path.parent == demo.settings.data_dir.resolve() / "reports"
    text = docx_text(docx_path)
    for sentence in SEED_SENTENCES:
        assert sentence in text, sentence
    assert text.splitlines()[0] == "XX区法律援助中心2012年度法律援助工作统计报告"
    # Every table of the report is in the appendix, as numbers.
    workbook = openpyxl.load_workbook(xlsx_path, read_only=True)
    assert len(workbook.sheetnames) == 1 + 10
    cases = list(workbook["案件"].iter_rows(values_only=True))
    assert cases[2] == ("民事", 125, 88, 42.05)
    assert cases[-1] == ("合计", 165, 147, 12.24)
    groups = {row[0]: row[1:] for row in workbook["受援人"].iter_rows(min_row=3, values_only=True)}
    assert groups["农民工"][0] >= 111 and groups["农民工"][2] == 111  # cases, share, civil
    workbook.close()


def test_the_leaders_get_the_headline_figures_and_no_applicant_names(demo: Demo) -> None:
    assert demo.summary["status"] == "sent"
    assert sorted(demo.summary["recipients"]) == sorted(  # type: ignore[call-overload]
        str(p["email"]) for p in generate().rows("people") if p["role"] == "leader"
    )
    messages = []
    for path in (demo.settings.data_dir / "mail").rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if "统计报告" in str(message["Subject"]):
            messages.append(message)
    [message] = messages
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    for sentence in SEED_SENTENCES[:6]:
        assert sentence in text, sentence
    applicants = {str(case["applicant"]) for case in generate().rows("cases")}
    html = message.get_body(("html",))
    assert html is not None
    assert not [name for name in applicants if name in text or name in html.get_content()]
    names = sorted(str(part.get_filename()) for part in message.iter_attachments())
    assert names == [
        "XX区法律援助中心2012年度法律援助工作报告.docx",
        "XX区法律援助中心2012年度法律援助工作报告.xlsx",
    ]


def test_quarters_across_the_new_year_and_english(demo: Demo) -> None:
    settings = Settings(data_dir=demo.settings.data_dir, report_year_start_month=11, locale="en")
    rt = build_runtime(settings)
    try:
        with rt.sessions() as session:
            quarter = render_report(
                session, settings, ReportRequest("quarterly", statistical_quarter(2012, 1, start_month=11)),
                as_of=date(2012, 11, 1),
            )  # fmt: skip
            year = render_report(
                session, settings, ReportRequest("annual", statistical_year(2012, start_month=11)),
                as_of=date(2012, 11, 1),
            )  # fmt: skip
    finally:
        rt.dispose()
    data = generate()
    in_q1 = [c for c in data.rows("cases") if date(2011, 11, 1) <= c["applied_on"] <= date(2012, 1, 31)]  # type: ignore[operator]
    assert quarter.figures.current.total == len(in_q1)
    assert quarter.figures.period.span("en") == "1 November 2011 to 31 January 2012"
    text = docx_text(year.docx)
    assert "The center handled 165 legal aid cases, up 12.24% on last year." in text
    assert "Civil cases with a migrant worker as the recipient: 111, 88.8% of all civil cases." in text
    assert "The 148 legal service hotline took 1,912 calls and visits, up 24.16% on last year." in text


def test_the_command_line_json_carries_every_figure(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(demo.settings.data_dir))
    monkeypatch.setenv("LEGALAID_REPORT_YEAR_START_MONTH", "11")
    code = main(["report", "annual", "--year", "2012", "--dry-run", "--json", "--as-of", "2012-11-01"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["status"] == "dry_run"
    figures = result["figures"]
    assert figures["cases"]["2012"] == {"total": 165, "civil": 125, "criminal": 40, "administrative": 0}
    assert figures["cases"]["2011"]["total"] == 147
    consultations = figures["consultations"]["current"]
    assert consultations["hotline_148:answered"] + consultations["hotline_148:referred"] == 1912
    assert [consultations[f"arbitration_desk:{o}"] for o in ("answered", "mediated", "converted")] == [
        482,
        23,
        47,
    ]


def test_the_charts_font_is_a_cjk_font() -> None:
    font = chart_font()
    path = Path(font_manager.findfont(font))
    assert path == cjk_font_path()
    assert has_chinese(path, "法律援助农民工残疾人未成年人老年人军人军属妇女民事刑事行政")
    assert "SC" in font.get_name() or "CJK" in font.get_name()
    # Drawing Chinese labels warns about no missing glyph (warnings are errors in this suite).
    png = render_chart(
        BarChart("t", "图1 受援人类别", ["农民工", "军人军属"], [("案件数", [111, 3])], "案件数（件）")
    )
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert png == render_chart(
        BarChart("t", "图1 受援人类别", ["农民工", "军人军属"], [("案件数", [111, 3])], "案件数（件）")
    )
