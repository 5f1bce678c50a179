"""What a report says: its title, sections of sentences and tables, the charts' data and the email's
headline, in the center's language. A pure function of the figures, so each sentence can be tested
without a database, and the Word document, the workbook and the email all say the same thing.

No names of applicants appear anywhere: the figures hold none. Lawyers are named only in the desk
roster's table (who was on duty how often), which is the center's own business.

Every report is the center's, signed by it: a firm's report speaks about the firm (明理律师事务所律师…,
城关法律服务所法律服务工作者…), never as the firm, and scores it only on its own people's steps (the
agreement with the recipient, progress, closure materials), not on the center's review, assignment or
return visits. Each figure says what it counts (by application, decision, assignment or end date), so two
figures that differ because they count differently do not look like a mistake. A period before the first
record has no data and says so; tables and figures are numbered in the order they appear.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from legalaid.dates import en_date, zh_date
from legalaid.models.enums import LABELS_ZH, ConsultationChannel, ConsultationOutcome, RecipientGroup
from legalaid.reports.collect import ReportFigures
from legalaid.reports.periods import Period
from legalaid.reports.sentences import (
    cases_sentence,
    compared,
    count,
    desk_sentence,
    hotline_sentence,
    migrant_sentence,
    on_time_sentence,
    percent_change,
    share,
    type_sentence,
)
from legalaid.reports.statistics import CASE_TYPES
from legalaid.reports.timeliness import OnTime

Cell = str | int | float | Decimal | None
TOP_MATTERS = 10  # the document lists the first ten matters; the workbook has them all

_GROUPS_EN = {
    RecipientGroup.migrant_worker: "Migrant workers",
    RecipientGroup.disabled: "People with disabilities",
    RecipientGroup.minor: "Minors",
    RecipientGroup.elderly: "Elderly people",
    RecipientGroup.military: "Service members and families",
    RecipientGroup.women: "Women",
}
_CHANNELS_EN = {
    ConsultationChannel.hotline_148: "148 hotline",
    ConsultationChannel.hotline_12348: "12348 hotline",
    ConsultationChannel.visit: "Visits",
    ConsultationChannel.arbitration_desk: "Arbitration desk",
    ConsultationChannel.workstation: "Workstations",
    ConsultationChannel.online: "Online",
}
_OUTCOMES_EN = {
    ConsultationOutcome.answered: "Answered",
    ConsultationOutcome.mediated: "Mediated",
    ConsultationOutcome.converted: "Converted to a case",
    ConsultationOutcome.referred: "Referred",
}
_HOTLINES = {ConsultationChannel.hotline_148: "148", ConsultationChannel.hotline_12348: "12348"}


@dataclass(frozen=True)
class Table:
    """One table of the report; ``name`` is its worksheet in the appendix (at most 31 characters)."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class BarChart:
    """A bar chart's data: one bar group per category, one bar (or stacked part) per series."""

    name: str
    title: str
    categories: list[str]
    series: list[tuple[str, list[int]]]
    value_label: str
    horizontal: bool = False
    stacked: bool = False
    no_data: tuple[int, ...] = ()  # categories without data: labelled so, not drawn as 0
    no_data_label: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[BarChart] = field(default_factory=list)


@dataclass(frozen=True)
class ReportContent:
    title: str
    subtitle: str
    sections: list[Section]
    headline: list[str]  # the email's sentences: the figures a leader reads on a phone
    file_stem: str  # the files' name without suffix
    closing: str  # the center's name and the date, under the report

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    @property
    def text(self) -> str:
        """Everything the document says, as plain text (for tests and the console)."""
        lines = [self.title, self.subtitle]
        for section in self.sections:
            lines += [section.heading, *section.paragraphs]
        return "\n".join(lines)


class _Words:
    """The few words that differ by language, and the dates and numbers as each language writes them."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.zh = locale == "zh_CN"

    def __call__(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def date(self, day: date) -> str:
        return zh_date(day) if self.zh else en_date(day)

    def n(self, value: int) -> str:
        return count(value, self.locale)

    def end(self, text: str) -> str:
        """A sentence with its full stop."""
        return text + ("。" if self.zh else ".")

    def group(self, group: RecipientGroup) -> str:
        return LABELS_ZH[group] if self.zh else _GROUPS_EN[group]

    def channel(self, channel: ConsultationChannel) -> str:
        return LABELS_ZH[channel] if self.zh else _CHANNELS_EN[channel]

    def outcome(self, outcome: ConsultationOutcome) -> str:
        return LABELS_ZH[outcome] if self.zh else _OUTCOMES_EN[outcome]

    def case_type(self, name: str) -> str:
        return (
            {"civil": "民事", "criminal": "刑事", "administrative": "行政"}[name] if self.zh else name.title()
        )


def compose(figures: ReportFigures, *, locale: str, center_name: str) -> ReportContent:
    """The report's text and tables from its figures."""
    w = _Words(locale)
    period, firm = figures.period, figures.firm
    numbers = "一二三四五六七八九十"
    builders: list[Callable[[ReportFigures, _Words], Section | None]] = [_cases, _recipients]
    if firm is None:
        builders.append(_consultations)
    builders += [_timeliness, _firms]
    if firm is None:
        builders.append(_roster)
    sections: list[Section] = []
    tables = charts = 0
    for build in builders:
        section = build(figures, w)
        if section is not None:
            index = len(sections)
            prefix = f"{numbers[index]}、" if w.zh else f"{index + 1}. "
            # Tables and figures are numbered as they come (a firm's report has fewer of them): 表1, 表2, …
            numbered_tables = []
            for table in section.tables:
                tables += 1
                number = f"表{tables} " if w.zh else f"Table {tables}. "
                numbered_tables.append(dataclasses.replace(table, title=number + table.title))
            numbered_charts = []
            for chart in section.charts:
                charts += 1
                number = f"图{charts} " if w.zh else f"Figure {charts}. "
                numbered_charts.append(dataclasses.replace(chart, title=number + chart.title))
            sections.append(
                Section(prefix + section.heading, section.paragraphs, numbered_tables, numbered_charts)
            )
    who = firm.name if firm is not None else center_name
    if w.zh:
        title = f"{who}{period.name(locale)}法律援助工作{'报告' if firm else '统计报告'}"
        subtitle = f"统计期间：{period.span(locale)}（数据截至{w.date(figures.as_of)}）"
        stem = f"{who}{period.name(locale)}法律援助工作报告"
    else:
        title = f"{who}: legal aid work, {period.name(locale)}"
        subtitle = f"Period: {period.span(locale)} (figures as of {w.date(figures.as_of)})"
        stem = f"legal-aid-report-{period.key}" + (f"-{firm.code}" if firm else "")
    return ReportContent(
        title=title,
        subtitle=subtitle,
        sections=sections,
        headline=_headline(figures, w),
        file_stem=stem,
        closing=f"{center_name}\n{w.date(figures.as_of)}",
    )


def _pct(value: Decimal | None) -> str:
    """A share with its percent sign; a dash alone when there is none (nothing was due)."""
    return "—" if value is None else f"{value}%"


# Sections --------------------------------------------------------------------------------------------------


def _quarter(figures: ReportFigures) -> bool:
    return figures.period.quarter is not None


def _people(figures: ReportFigures, w: _Words) -> str:
    """Who did the work: the center, or a firm's people as the center names them (a 法律服务所's are
    法律服务工作者, not lawyers)."""
    firm = figures.firm
    if firm is None:
        return w("援助中心", "the center")
    if firm.legal_service_office:
        return w(f"{firm.name}法律服务工作者", f"the legal service workers of {firm.name}")
    return w(f"{firm.name}律师", f"the lawyers of {firm.name}")


def _before(figures: ReportFigures, period: Period, kind: str | None = None) -> int | None:
    """A period's cases (``kind``: of one type) for a comparison; None when the period has no data."""
    if not figures.has_cases(period):
        return None
    counts = figures.cases[period]
    return counts.total if kind is None else counts.of(kind)


def _no_data(w: _Words) -> str:
    return w("无数据", "no data")


def _case_sentences(figures: ReportFigures, w: _Words) -> list[str]:
    """The seed's first sentences: all cases, then each type, with the change on last year (none when last
    year has no data)."""
    now, quarter = figures.current, _quarter(figures)
    last = figures.period.year_before()
    subject = _people(figures, w)
    if not figures.has_cases(figures.period):
        return [w(f"{subject}本期无案件记录", f"{subject[0].upper()}{subject[1:]}: no cases on record")]
    first = cases_sentence(
        now.total, _before(figures, last), locale=w.locale, quarter=quarter, subject=subject
    )
    types = [
        type_sentence(
            kind, now.of(kind), _before(figures, last, kind), locale=w.locale, quarter=quarter, first=i == 0
        )
        for i, kind in enumerate(CASE_TYPES)
        if now.of(kind) or figures.before.of(kind) or kind != "administrative"
    ]
    return [first, *types]


def _since_note(figures: ReportFigures, w: _Words) -> str | None:
    """Why there is no comparison: the records start after last year's period."""
    last = figures.period.year_before()
    if figures.has_cases(last) or not figures.has_cases(figures.period):
        return None
    since = figures.cases_since
    assert since is not None
    span = w("去年同期", "the same period last year") if _quarter(figures) else w("去年", "last year")
    return w(
        f"案件记录自{w.date(since)}起，{span}无数据，不作同比",
        f"Cases are on record from {w.date(since)}: there are no figures for {span} to compare with",
    )


def _cases(figures: ReportFigures, w: _Words) -> Section:
    period = figures.period
    first, *types = _case_sentences(figures, w)
    opening = f"{period.name(w.locale)}（{period.span(w.locale)}），{first}" if w.zh else first
    paragraphs = [w.end(opening)]
    if types:
        paragraphs.append(w.end(("；" if w.zh else "; ").join(types)))
    if (note := _since_note(figures, w)) is not None:
        paragraphs.append(w.end(note))
    paragraphs.append(
        w.end(
            w(
                "本节案件数按申请日期统计，含本期受理后尚在审查、在办和已办结的案件",
                "Cases here are counted by the date of application: those under review, open and ended alike",
            )
        )
    )
    now = figures.current
    last = period.year_before()

    def versus(now_n: int, before_n: int | None) -> list[Cell]:
        if before_n is None:
            return [_no_data(w), None]
        return [before_n, percent_change(now_n, before_n)]

    rows: list[list[Cell]] = [
        [w.case_type(kind), now.of(kind), *versus(now.of(kind), _before(figures, last, kind))]
        for kind in CASE_TYPES
    ]
    rows.append([w("合计", "Total"), now.total, *versus(now.total, _before(figures, last))])
    same = w("去年同期", "Same period last year")
    table = Table(
        w("案件", "Cases"),
        w("案件类型及同比（按申请日期）", "Cases by type, year on year (by date of application)"),
        [w("案件类型", "Type"), w("本期", "This period"), same, w("增减(%)", "Change (%)")],
        rows,
    )
    missing = [i for i, p in enumerate(figures.chart_periods) if not figures.has_cases(p)]
    trend = Table(
        w("案件趋势", "Cases by period"),
        w("近五期案件数", "Cases over the last five periods"),
        [w("期间", "Period"), *(w.case_type(kind) for kind in CASE_TYPES), w("合计", "Total")],
        [
            [p.name(w.locale), *(figures.cases[p].of(kind) for kind in CASE_TYPES), figures.cases[p].total]
            if figures.has_cases(p)
            else [p.name(w.locale), _no_data(w), None, None, None]
            for p in figures.chart_periods
        ],
    )
    chart = BarChart(
        "cases_by_type",
        w("近五期案件数（按类型）", "Cases by type, last five periods"),
        [p.short_name(w.locale) for p in figures.chart_periods],
        [
            (w.case_type(kind), [figures.cases[p].of(kind) for p in figures.chart_periods])
            for kind in CASE_TYPES
        ],
        w("案件数（件）", "Cases"),
        stacked=True,
        no_data=tuple(missing),
        no_data_label=_no_data(w),
    )
    return Section(w("案件办理情况", "Cases"), paragraphs, [table, trend], [chart])


def _recipients(figures: ReportFigures, w: _Words) -> Section:
    total = figures.current.total
    paragraphs = []
    if (
        migrant := migrant_sentence(figures.migrant_civil, figures.current.civil, locale=w.locale)
    ) is not None:
        paragraphs.append(w.end(migrant))
    groups = [g for g in figures.groups.values() if g.cases]
    if groups:
        parts = [
            f"{w.group(g.group)}{g.cases}件（占{share(g.cases, total)}%）"
            if w.zh
            else f"{w.group(g.group).lower()} {w.n(g.cases)} ({share(g.cases, total)}%)"
            for g in sorted(groups, key=lambda g: (-g.cases, list(RecipientGroup).index(g.group)))
        ]
        paragraphs.append(w.end(w("受援人中，", "Recipients: ") + w("、", ", ").join(parts)))
    matters = figures.matters
    named = [m for m in matters if m.matter][:3]
    if named:
        top = [f"{m.matter}（{m.cases}件）" if w.zh else f"{m.matter} ({w.n(m.cases)})" for m in named]
        paragraphs.append(w.end(w("案由居前的是", "The most frequent matters: ") + w("、", ", ").join(top)))
    group_table = Table(
        w("受援人", "Recipients"),
        w("受援人类别", "Recipients by group"),
        [
            w("类别", "Group"),
            w("案件数", "Cases"),
            w("占案件总数(%)", "Share of cases (%)"),
            w("其中民事", "Civil"),
        ],
        [[w.group(g.group), g.cases, share(g.cases, total), g.civil] for g in figures.groups.values()],
    )
    matter_table = Table(
        w("案由", "Matters"),
        w("案由排名", "Matters ranked"),
        [
            w("排名", "Rank"),
            w("案由", "Matter"),
            w("案件数", "Cases"),
            w("占比(%)", "Share (%)"),
            w("民事", "Civil"),
            w("刑事", "Criminal"),
        ],  # fmt: skip
        [
            [
                rank,
                m.matter or w("（未填写）", "(not recorded)"),
                m.cases,
                share(m.cases, total),
                m.civil,
                m.criminal,
            ]
            for rank, m in enumerate(matters, start=1)
        ],
    )
    chart = BarChart(
        "recipients_by_group",
        w("受援人类别", "Recipients by group"),
        [w.group(g) for g in RecipientGroup],
        [(w("案件数", "Cases"), [figures.groups[g].cases for g in RecipientGroup])],
        w("案件数（件）", "Cases"),
        horizontal=True,
    )
    return Section(
        w("受援人及案由", "Recipients and matters"), paragraphs, [group_table, matter_table], [chart]
    )


def _consultations(figures: ReportFigures, w: _Words) -> Section | None:
    found = figures.consultations
    if found is None:
        return None
    quarter = _quarter(figures)
    known = figures.has_consultations_before  # last year's consultations were recorded
    paragraphs = []
    for channel, number in _HOTLINES.items():
        now, before = found.channel(channel), found.channel(channel, previous=True)
        if now or before:
            paragraphs.append(
                w.end(
                    hotline_sentence(number, now, before if known else None, locale=w.locale, quarter=quarter)
                )
            )
    desk = ConsultationChannel.arbitration_desk
    outcomes = {o: found.outcome(desk, o) for o in ConsultationOutcome}
    if found.channel(desk):
        paragraphs.append(
            w.end(
                desk_sentence(
                    found.channel(desk),
                    outcomes[ConsultationOutcome.answered],
                    outcomes[ConsultationOutcome.mediated],
                    outcomes[ConsultationOutcome.converted],
                    locale=w.locale,
                )
            )
        )
    total, total_before = found.total(), found.total(previous=True)
    paragraphs.append(
        w.end(
            w(f"全部渠道共接待咨询{total}件（人次），", f"All channels: {w.n(total)} consultations, ")
            + compared(total, total_before if known else None, locale=w.locale, quarter=quarter)
        )
    )
    if not known and figures.consultations_since is not None:
        paragraphs.append(
            w.end(
                w(
                    f"咨询记录自{w.date(figures.consultations_since)}起，不作同比",
                    f"Consultations are on record from {w.date(figures.consultations_since)}: "
                    "no comparison with last year",
                )
            )
        )

    def versus(now: int, before: int) -> list[Cell]:
        return [before, percent_change(now, before)] if known else [_no_data(w), None]

    channel_rows: list[list[Cell]] = [
        [w.channel(c), found.channel(c), *versus(found.channel(c), found.channel(c, previous=True))]
        for c in ConsultationChannel
    ]
    channel_rows.append([w("合计", "Total"), total, *versus(total, total_before)])
    channels = Table(
        w("咨询", "Consultations"),
        w("法律咨询（按渠道）", "Consultations by channel"),
        [
            w("渠道", "Channel"),
            w("本期", "This period"),
            w("去年同期", "Same period last year"),
            w("增减(%)", "Change (%)"),
        ],  # fmt: skip
        channel_rows,
    )
    desk_rows: list[list[Cell]] = [[w.outcome(o), n] for o, n in outcomes.items()]
    desk_rows.append([w("合计", "Total"), found.channel(desk)])
    desk_table = Table(
        w("仲裁咨询点", "Arbitration desk"),
        w("劳动仲裁法律援助咨询点", "The labor arbitration desk"),
        [w("结果", "Outcome"), w("件数", "Count")],
        desk_rows,
    )
    return Section(w("法律咨询", "Consultations"), paragraphs, [channels, desk_table])


class _Check(NamedTuple):
    """One on-time share as the report states it: the figures, the step's name, what its basis selects,
    what is not counted yet, and what on time means; each text (Chinese, English)."""

    on_time: OnTime
    label: tuple[str, str]
    basis: tuple[str, str]
    pending: tuple[str, str]
    done: tuple[str, str]


def _checks(figures: ReportFigures) -> list[_Check]:
    """The on-time shares the report states: the center's own steps (review, assignment) and closure for
    the center's report; for a firm's, only its people's steps (the agreement with the recipient, closure
    materials): the center's review and assignment are not the firm's to be late with."""
    t, rules = figures.timeliness, figures.rules
    days = {r: rules[r].days for r in ("review_due", "assignment_due", "closure_due", "first_contact_due")}
    review = _Check(
        t.decided, ("审查申请", "Applications"),
        ("本期受理的申请（按申请日期计）", "Applications of the period (by date of application)"),
        ("审查期限未届满且尚未决定", "not yet decided and not yet due"),
        (f"在{days['review_due']}日内作出决定", f"decided within {days['review_due']} days"),
    )  # fmt: skip
    assign = _Check(
        t.assigned, ("决定给予（含通知辩护）", "Grants and court notices"),
        ("本期决定给予法律援助及通知辩护的案件（按决定或通知日期计）",
         "Grants and court notices of the period (by date of decision or notice)"),
        ("指派期限未届满且尚未指派", "not yet assigned and not yet due"),
        (f"在{days['assignment_due']}日内指派", f"assigned within {days['assignment_due']} days"),
    )  # fmt: skip
    contact = _Check(
        t.first_contact, ("签订委托协议", "Agreements with the recipient"),
        ("本期受指派的案件（按指派日期计）", "Cases assigned in the period (by date of assignment)"),
        ("期限未届满且尚未签订", "not yet signed and not yet due"),
        (f"在{days['first_contact_due']}日内与受援人签订委托协议",
         f"with the agreement signed within {days['first_contact_due']} days"),
    )  # fmt: skip
    closure = _Check(
        t.closure, ("结案材料", "Closure materials"),
        ("本期办结的案件（按办结日期计，含往年受理的案件）",
         "Cases ended in the period (by date of end, including cases of earlier years)"),
        ("提交期限未届满且尚未提交", "not yet submitted and not yet due"),
        (f"在{days['closure_due']}日内提交结案材料",
         f"closure materials within {days['closure_due']} days"),
    )  # fmt: skip
    return [contact, closure] if figures.firm is not None else [review, assign, closure]


def _overdue(figures: ReportFigures) -> dict[str, int]:
    """Items overdue at the period's end, by rule; a firm's report counts only its people's items (the
    rules that remind the lawyer), not the center's review, assignment or return visits."""
    items = figures.timeliness.overdue
    if figures.firm is not None:
        rules = figures.rules
        items = {rule_id: n for rule_id, n in items.items() if "lawyer" in rules[rule_id].remind}
    return items


def _timeliness(figures: ReportFigures, w: _Words) -> Section:
    rules = figures.rules
    checks = _checks(figures)
    paragraphs = [
        w.end(sentence)
        for check in checks
        if (
            sentence := on_time_sentence(
                check.basis, check.pending, check.done, check.on_time.figures, locale=w.locale
            )
        )
    ]
    if figures.firm is not None:
        paragraphs.append(
            w.end(
                w(
                    "申请的审查、指派和回访由援助中心办理，不计入本报告的考核",
                    "Review, assignment and return visits are the center's work and are not scored here",
                )
            )
        )
    end = min(figures.period.end, figures.as_of)
    listed = _overdue(figures)
    overdue = {rule_id: n for rule_id, n in listed.items() if n}
    if overdue:
        parts = [
            f"{rules[r].title(w.locale)}{n}件" if w.zh else f"{rules[r].title(w.locale).lower()}: {w.n(n)}"
            for r, n in overdue.items()
        ]
        paragraphs.append(
            w.end(
                w(
                    f"截至{w.date(end)}，逾期未办结的事项共{sum(overdue.values())}项：",
                    f"Open and overdue on {w.date(end)}: {w.n(sum(overdue.values()))} items (",
                )
                + w("；", "; ").join(parts)
                + w("", ")")
            )
        )
    else:
        paragraphs.append(
            w.end(w(f"截至{w.date(end)}，无逾期未办事项", f"Nothing was overdue on {w.date(end)}"))
        )
    rows: list[list[Cell]] = [
        [
            w(*check.label),
            check.on_time.selected,
            check.on_time.counted,
            check.on_time.on_time,
            share(check.on_time.on_time, check.on_time.counted),
        ]
        for check in checks
    ]
    shares = Table(
        w("时效", "Timeliness"),
        w("办案时效", "Timeliness"),
        [
            w("事项", "Step"),
            w("本期件数", "In the period"),
            w("应计件数", "Counted"),
            w("按期", "On time"),
            w("按期率(%)", "On time (%)"),
        ],  # fmt: skip
        rows,
    )
    open_items = Table(
        w("逾期事项", "Overdue"),
        w(f"截至{w.date(end)}逾期未办事项", f"Open and overdue on {w.date(end)}"),
        [w("事项", "Item"), w("期限", "Deadline"), w("件数", "Items")],
        [
            [rules[r].title(w.locale), w(f"{rules[r].days}日", f"{rules[r].days} days"), n]
            for r, n in listed.items()
        ],
    )
    return Section(w("办案时效", "Timeliness"), paragraphs, [shares, open_items])


def _firms(figures: ReportFigures, w: _Words) -> Section:
    rows: list[list[Cell]] = [
        [
            f.name or w("（未归属机构）", "(no firm)"),
            f.assigned,
            f.ended,
            f.open,
            f.closure_overdue,
            f.average_days,
        ]
        for f in figures.firms.values()
    ]
    # The bases: assigned by the date of assignment (a case decided last period and assigned in this one
    # counts here, not among this period's grants), ended by the date of end (cases of earlier years too).
    assigned_basis = w("（按指派日期计）", " (by date of assignment)")
    ended_basis = w(
        "（按办结日期计，含往年受理的案件）", " (by date of end, including cases of earlier years)"
    )
    paragraphs = []
    if figures.firm is None:
        named = [f for f in figures.firms.values() if f.code is not None]
        assigned = sum(f.assigned for f in figures.firms.values())
        ended = sum(f.ended for f in figures.firms.values())
        still_open = sum(f.open for f in figures.firms.values())
        paragraphs.append(
            w.end(
                w(
                    f"{len(named)}家承办机构的律师和法律服务工作者本期共受指派{assigned}件{assigned_basis}，"
                    f"办结{ended}件{ended_basis}，期末在办{still_open}件",
                    f"The lawyers and legal service workers of {w.n(len(named))} firms were assigned "
                    f"{w.n(assigned)} cases{assigned_basis}, ended {w.n(ended)}{ended_basis} "
                    f"and had {w.n(still_open)} open at the period's end",
                )
            )
        )
    if figures.firm is not None and (mine := figures.firms.get(figures.firm.id)) is not None:
        who = _people(figures, w)
        paragraphs.append(
            w.end(
                w(
                    f"本期{who}受指派{mine.assigned}件{assigned_basis}，办结{mine.ended}件{ended_basis}，"
                    f"期末在办{mine.open}件，结案材料逾期未交{mine.closure_overdue}件",
                    f"In the period {who} were assigned {w.n(mine.assigned)} cases{assigned_basis}, "
                    f"ended {w.n(mine.ended)}{ended_basis}, had {w.n(mine.open)} open at its end and "
                    f"{w.n(mine.closure_overdue)} with closure materials overdue",
                )
            )
        )
        if mine.average_days is not None:
            paragraphs.append(
                w.end(
                    w(
                        f"办结案件平均办理{mine.average_days}天",
                        f"Average days from assignment to end: {mine.average_days}",
                    )
                )
            )
    table = Table(
        w("承办机构", "Firms"),
        w("各承办机构", "Per firm"),
        [
            w("机构", "Firm"),
            w("指派", "Assigned"),
            w("办结", "Ended"),
            w("期末在办", "Open at end"),
            w("结案材料逾期", "Closure overdue"),
            w("平均办理天数", "Average days"),
        ],  # fmt: skip
        rows,
    )
    return Section(w("承办机构情况", "Per firm"), paragraphs, [table])


def _roster(figures: ReportFigures, w: _Words) -> Section | None:
    roster = figures.roster
    if roster is None:
        return None
    if roster.since is None or roster.since > figures.period.end:
        since = f"（值班记录自{w.date(roster.since)}起）" if roster.since else ""
        since_en = f" (the roster is kept from {w.date(roster.since)})" if roster.since else ""
        paragraphs = [w.end(w(f"本期无咨询点值班记录{since}", f"No desk duties were recorded{since_en}"))]
    else:
        covered = share(roster.covered, roster.desk_days)
        paragraphs = [
            w.end(
                w(
                    f"劳动仲裁法律援助咨询点应开放{roster.desk_days}个工作日，有律师值班{roster.covered}日"
                    + (f"，覆盖率{covered}%" if covered is not None else "")
                    + f"（值班记录自{w.date(roster.since)}起）",
                    f"The arbitration desk had {w.n(roster.desk_days)} working days, {w.n(roster.covered)} "
                    f"with a lawyer on duty"
                    + (f" ({covered}%)" if covered is not None else "")
                    + f"; the roster is kept from {w.date(roster.since)}",
                )
            )
        ]
        if roster.duties:
            paragraphs.append(
                w.end(
                    w(
                        f"共{len(roster.duties)}名律师轮流值班，"
                        f"合计{sum(d.days for d in roster.duties)}个值班日",
                        f"{w.n(len(roster.duties))} lawyers took turns, "
                        f"{w.n(sum(d.days for d in roster.duties))} duty days in all",
                    )
                )
            )
    table = Table(
        w("值班", "Desk roster"),
        w("咨询点值班天数", "Desk duty days per lawyer"),
        [w("律师", "Lawyer"), w("所属机构", "Firm"), w("值班天数", "Duty days")],
        [[d.name, d.firm, d.days] for d in roster.duties],
    )
    return Section(w("仲裁咨询点值班", "The arbitration desk roster"), paragraphs, [table])


def _headline(figures: ReportFigures, w: _Words) -> list[str]:
    """The email's sentences: cases and their change, migrant workers, the hotline and the desk, timeliness
    and what is overdue. Figures only, no names."""
    lines = [w.end(s) for s in _case_sentences(figures, w)]
    if (
        migrant := migrant_sentence(figures.migrant_civil, figures.current.civil, locale=w.locale)
    ) is not None:
        lines.append(w.end(migrant))
    if (note := _since_note(figures, w)) is not None:
        lines.append(w.end(note))
    found = figures.consultations
    if found is not None:
        known = figures.has_consultations_before
        for channel, number in _HOTLINES.items():
            now, before = found.channel(channel), found.channel(channel, previous=True)
            if now or before:
                lines.append(
                    w.end(
                        hotline_sentence(
                            number, now, before if known else None, locale=w.locale, quarter=_quarter(figures)
                        )
                    )
                )
        desk = ConsultationChannel.arbitration_desk
        if found.channel(desk):
            o = {x: found.outcome(desk, x) for x in ConsultationOutcome}
            lines.append(
                w.end(
                    desk_sentence(
                        found.channel(desk),
                        o[ConsultationOutcome.answered],
                        o[ConsultationOutcome.mediated],
                        o[ConsultationOutcome.converted],
                        locale=w.locale,
                    )
                )
            )
    if figures.firm is not None and (mine := figures.firms.get(figures.firm.id)) is not None:
        lines.append(
            w.end(
                w(
                    f"{_people(figures, w)}受指派{mine.assigned}件，办结{mine.ended}件，"
                    f"期末在办{mine.open}件",
                    f"Assigned {w.n(mine.assigned)}, ended {w.n(mine.ended)}, open at the end "
                    f"{w.n(mine.open)}",
                )
            )
        )
    overdue = sum(_overdue(figures).values())
    end = min(figures.period.end, figures.as_of)
    shares = [
        (check.label, _pct(share(check.on_time.on_time, check.on_time.counted))) for check in _checks(figures)
    ]
    lines.append(
        w.end(
            w(
                "按期率："
                + "，".join(f"{label[0]}{pct}" for label, pct in shares)
                + f"；截至{w.date(end)}逾期未办事项{overdue}项",
                "On time: "
                + ", ".join(f"{label[1].lower()} {pct}" for label, pct in shares)
                + f"; {w.n(overdue)} items open and overdue on {w.date(end)}",
            )
        )
    )
    return lines
