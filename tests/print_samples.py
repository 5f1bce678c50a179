"""One document of every kind the service prints, built the way the commands build them, for the print test.

The demo center gives realistic data in a few seconds: its annual report and the month's 值班安排表 (.docx
and .xlsx) are the demo's own files; the quarterly and a firm's report come from ``produce_report`` on the
demo's database, the 决定书 and 指派通知书 from ``render_document`` on its cases (the demo denies no case, so
the 不予 letter's case is added with the builders). Each sample names the strings its printed text must hold:
the title, the center, and the people and firm it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from builders import make_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.demo.run import run_demo
from legalaid.config import Settings
from legalaid.documents import Issuer, render_document
from legalaid.models import Case, DutyShift, Firm, Person
from legalaid.models.enums import CaseType, Decision, FirmKind
from legalaid.reports import ReportRequest, produce_report
from legalaid.reports.periods import statistical_quarter, statistical_year
from legalaid.runtime import Runtime, build_runtime

DEMO_YEAR_START_MONTH = 11  # the demo center's statistical year starts on 1 November
DENIAL_REASON = "申请人家庭经济状况不符合本市法律援助经济困难标准"


@dataclass(frozen=True)
class Sample:
    """One file to print: what it is meant to be, and what its printed text must hold."""

    kind: str  # the test id: grant_decision, notice_criminal, rota_xlsx, …
    path: Path
    strings: tuple[str, ...]  # key strings the text layer must hold
    one_page: bool  # a 决定书 or 通知书: exactly one page
    landscape: bool = False


def build_samples(folder: Path) -> list[Sample]:
    """Build the demo center under ``folder`` and one file of every kind in ``folder/samples``."""
    settings = Settings(data_dir=folder / "var", report_year_start_month=DEMO_YEAR_START_MONTH)
    demo = run_demo(settings)
    out = folder / "samples"
    out.mkdir()
    center = settings.center_name
    annual_docx = Path(demo.steps["report"]["files"][0])
    rota_docx, rota_xlsx = (Path(name) for name in demo.steps["roster"]["files"])
    rt = build_runtime(settings)
    try:
        samples = _case_documents(rt, out, as_of=demo.as_of)
        samples += _reports(rt, out, as_of=demo.as_of)
        with rt.sessions() as session:
            on_duty = _first_on_the_rota(session, settings, date.fromisoformat(demo.steps["roster"]["from"]))
    finally:
        rt.dispose()
    samples += [
        Sample(
            "report_annual", annual_docx, (center, "年度法律援助工作报告", "法律援助案件"), one_page=False
        ),
        Sample("rota_docx", rota_docx, ("值班安排表", center, *on_duty), one_page=False),
        Sample("rota_xlsx", rota_xlsx, ("值班安排表", *on_duty), one_page=False),
    ]
    return samples


def _case_documents(rt: Runtime, out: Path, *, as_of: date) -> list[Sample]:
    """The two 决定书 and the three 指派通知书 (civil, criminal, a 法律服务所's legal worker)."""
    issuer = Issuer.from_settings(rt.settings)
    with rt.transaction() as session:
        civil = _assigned_case(session, CaseType.civil, FirmKind.law_firm)
        criminal = _assigned_case(session, CaseType.criminal, FirmKind.law_firm)
        office = _assigned_case(session, None, FirmKind.legal_service_office)
        denied = make_case(
            session,
            case_no="2012民援第900号",
            applicant="欧阳秀英",
            matter="离婚纠纷",
            applied_on=date(2012, 10, 22),
            decided_on=date(2012, 10, 26),
            decision=Decision.denied,
        )
        wanted = [
            ("grant_decision", "grant_decision", civil, ("给予法律援助决定书",)),
            ("denial_decision", "denial_decision", denied, ("不予法律援助决定书", DENIAL_REASON)),
            ("notice_civil", "assignment_notice", civil, ("指派通知书",)),
            ("notice_criminal", "assignment_notice", criminal, ("指派通知书",)),
            ("notice_legal_service_office", "assignment_notice", office, ("指派通知书",)),
        ]
        # The English letters too: a center with foreign applicants prints them on the same A4 page.
        wanted += [
            (f"{sample_kind}_en", kind, case, ())
            for sample_kind, kind, case, _strings in wanted
            if sample_kind in ("grant_decision", "denial_decision", "notice_civil")
        ]
        samples = []
        for sample_kind, kind, case, strings in wanted:
            doc = render_document(
                session,
                kind=kind,
                case_no=case.case_no,
                locale="en" if sample_kind.endswith("_en") else "zh_CN",
                issuer=issuer,
                reason=DENIAL_REASON if kind == "denial_decision" else None,
            )
            path = out / f"{sample_kind}.docx"
            path.write_bytes(doc.content)
            about = [case.applicant, case.case_no]
            if kind == "assignment_notice":
                lawyer = session.get(Person, case.lawyer_id)
                assert lawyer is not None and lawyer.firm is not None
                about += [lawyer.name, lawyer.firm.name]
            samples.append(Sample(sample_kind, path, (issuer.center_name, *strings, *about), one_page=True))
    return samples


def _assigned_case(session: Session, case_type: CaseType | None, firm_kind: FirmKind) -> Case:
    """The demo's latest case of ``case_type`` (any, when None) assigned to someone of a ``firm_kind``."""
    query = (
        select(Case)
        .join(Person, Person.id == Case.lawyer_id)
        .join(Firm, Firm.id == Person.firm_id)
        .where(Case.assigned_on.is_not(None), Case.decision == Decision.granted, Firm.kind == firm_kind)
        .order_by(Case.assigned_on.desc(), Case.case_no)
    )
    if case_type is not None:
        query = query.where(Case.case_type == case_type)
    case = session.scalars(query.limit(1)).first()
    assert case is not None, f"the demo has no {case_type} case assigned to a {firm_kind}"
    return case


def _reports(rt: Runtime, out: Path, *, as_of: date) -> list[Sample]:
    """The last quarter's report of the demo year, and the year's report of its busiest firm."""
    center = rt.settings.center_name
    year = statistical_year(as_of.year, start_month=DEMO_YEAR_START_MONTH)
    quarter = statistical_quarter(as_of.year, 4, start_month=DEMO_YEAR_START_MONTH)
    with rt.sessions() as session:
        firm = session.execute(
            select(Firm.code, Firm.name)
            .join(Person, Person.firm_id == Firm.id)
            .join(Case, Case.lawyer_id == Person.id)
            .where(Case.assigned_on.between(year.start, year.end))
            .group_by(Firm.code, Firm.name)
            .order_by(func.count(Case.id).desc(), Firm.code)
            .limit(1)
        ).one()
    quarterly = produce_report(rt, ReportRequest("quarterly", quarter), as_of=as_of, out_dir=out)
    firm_report = produce_report(
        rt, ReportRequest("firm", year, firm_code=firm.code), as_of=as_of, out_dir=out
    )
    return [
        Sample("report_quarterly", quarterly.files[0], (center, "季度", "法律援助案件"), one_page=False),
        Sample("report_firm", firm_report.files[0], (center, firm.name), one_page=False),
    ]


def _first_on_the_rota(session: Session, settings: Settings, month: date) -> tuple[str, str, str]:
    """The first desk duty of the rota's ``month`` (its first day): who, their firm, and the hours, which a
    cell too narrow would cut."""
    first = session.execute(
        select(Person.name, Firm.name, DutyShift.slot)
        .join(DutyShift, DutyShift.person_id == Person.id)
        .join(Firm, Firm.id == Person.firm_id)
        .where(DutyShift.on >= month)
        .order_by(DutyShift.on, DutyShift.slot)
        .limit(1)
    ).first()
    assert first is not None, f"the demo's rota has nobody on duty from {month}"
    name, firm, slot = first
    return name, firm, str(getattr(settings, f"roster_hours_{slot.value}"))
