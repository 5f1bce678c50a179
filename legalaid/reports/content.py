"""What a report says: its title, sections of sentences and tables, the charts' data and the email's
headline, in the center's language. A pure function of the figures, so each sentence can be tested
without a database, and the Word document, the workbook and the email all say the same thing.

No names of applicants appear anywhere: the figures hold none. Lawyers are named only in the desk
roster's table (who was on duty how often), which is the center's own business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from legalaid.dates import en_date, zh_date
from legalaid.models.enums import LABELS_ZH, ConsultationChannel, ConsultationOutcome, RecipientGroup
from legalaid.reports.collect import ReportFigures
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
    for build in builders:
        section = build(figures, w)
        if section is not None:
            index = len(sections)
            prefix = f"{numbers[index]}、" if w.zh else f"{index + 1}. "
            sections.append(
                Section(prefix + section.heading, section.paragraphs, section.tables, section.charts)
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
    return "—" if value is None else str(value)


# Sections --------------------------------------------------------------------------------------------------


def _quarter(figures: ReportFigures) -> bool:
    return figures.period.quarter is not None


def _case_sentences(figures: ReportFigures, w: _Words) -> list[str]:
    """The seed's first sentences: all cases, then each type, with the change on last year."""
    now, before, quarter = figures.current, figures.before, _quarter(figures)
    subject = w("本所律师", "the firm's lawyers") if figures.firm else w("援助中心", "the center")
    first = cases_sentence(now.total, before.total, locale=w.locale, quarter=quarter, subject=subject)
    types = [
        type_sentence(kind, now.of(kind), before.of(kind), locale=w.locale, quarter=quarter, first=i == 0)
        for i, kind in enumerate(CASE_TYPES)
        if now.of(kind) or before.of(kind) or kind != "administrative"
    ]
    return [first, *types]


def _cases(figures: ReportFigures, w: _Words) -> Section:
    period = figures.period
    first, *types = _case_sentences(figures, w)
    opening = f"{period.name(w.locale)}（{period.span(w.locale)}），{first}" if w.zh else first
    paragraphs = [w.end(opening), w.end(("；" if w.zh else "; ").join(types))]
    now, before = figures.current, figures.before
    rows: list[list[Cell]] = [
        [w.case_type(kind), now.of(kind), before.of(kind), percent_change(now.of(kind), before.of(kind))]
        for kind in CASE_TYPES
    ]
    rows.append([w("合计", "Total"), now.total, before.total, percent_change(now.total, before.total)])
    last = w("去年同期", "Same period last year")
    table = Table(
        w("案件", "Cases"),
        w("表1 案件类型及同比", "Table 1. Cases by type, year on year"),
        [w("案件类型", "Type"), w("本期", "This period"), last, w("增减(%)", "Change (%)")],
        rows,
    )
    trend = Table(
        w("案件趋势", "Cases by period"),
        w("表2 近五期案件数", "Table 2. Cases over the last five periods"),
        [w("期间", "Period"), *(w.case_type(kind) for kind in CASE_TYPES), w("合计", "Total")],
        [
            [p.key, *(figures.cases[p].of(kind) for kind in CASE_TYPES), figures.cases[p].total]
            for p in figures.chart_periods
        ],
    )
    chart = BarChart(
        "cases_by_type",
        w("图1 近五期案件数（按类型）", "Figure 1. Cases by type, last five periods"),
        [p.short_name(w.locale) for p in figures.chart_periods],
        [
            (w.case_type(kind), [figures.cases[p].of(kind) for p in figures.chart_periods])
            for kind in CASE_TYPES
        ],
        w("案件数（件）", "Cases"),
        stacked=True,
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
        w("表3 受援人类别", "Table 3. Recipients by group"),
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
        w("表4 案由排名", "Table 4. Matters ranked"),
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
        w("图2 受援人类别", "Figure 2. Recipients by group"),
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
    paragraphs = []
    for channel, number in _HOTLINES.items():
        now, before = found.channel(channel), found.channel(channel, previous=True)
        if now or before:
            paragraphs.append(w.end(hotline_sentence(number, now, before, locale=w.locale, quarter=quarter)))
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
            + compared(total, total_before, locale=w.locale, quarter=quarter)
        )
    )
    channel_rows: list[list[Cell]] = [
        [w.channel(c), found.channel(c), found.channel(c, previous=True),
         percent_change(found.channel(c), found.channel(c, previous=True))]
        for c in ConsultationChannel
    ]  # fmt: skip
    channel_rows.append([w("合计", "Total"), total, total_before, percent_change(total, total_before)])
    channels = Table(
        w("咨询", "Consultations"),
        w("表5 法律咨询（按渠道）", "Table 5. Consultations by channel"),
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
        w("表6 劳动仲裁法律援助咨询点", "Table 6. The labor arbitration desk"),
        [w("结果", "Outcome"), w("件数", "Count")],
        desk_rows,
    )
    return Section(w("法律咨询", "Consultations"), paragraphs, [channels, desk_table])


def _timeliness(figures: ReportFigures, w: _Words) -> Section:
    t, rules = figures.timeliness, figures.rules
    review, assign, closure = (rules[r].days for r in ("review_due", "assignment_due", "closure_due"))
    checks = [
        (t.decided, ("审查申请", "Applications"),
         (f"在{review}日内作出决定", f"decided within {review} days")),
        (t.assigned, ("决定给予（含通知辩护）", "Grants and court notices"),
         (f"在{assign}日内指派", f"assigned within {assign} days")),
        (t.closure, ("办结案件", "Cases ended"),
         (f"在{closure}日内提交结案材料", f"closure materials within {closure} days")),
    ]  # fmt: skip
    paragraphs = [
        w.end(sentence)
        for on_time, label, done in checks
        if (sentence := on_time_sentence(label, done, on_time.on_time, on_time.counted, locale=w.locale))
    ]
    end = min(figures.period.end, figures.as_of)
    overdue = {rule_id: n for rule_id, n in t.overdue.items() if n}
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
        [w(label[0], label[1]), on_time.counted, on_time.on_time, share(on_time.on_time, on_time.counted)]
        for on_time, label, _done in checks
    ]
    shares = Table(
        w("时效", "Timeliness"),
        w("表7 办案时效", "Table 7. Timeliness"),
        [w("事项", "Step"), w("应计件数", "Counted"), w("按期", "On time"), w("按期率(%)", "On time (%)")],
        rows,
    )
    open_items = Table(
        w("逾期事项", "Overdue"),
        w(f"表8 截至{w.date(end)}逾期未办事项", f"Table 8. Open and overdue on {w.date(end)}"),
        [w("事项", "Item"), w("期限", "Deadline"), w("件数", "Items")],
        [
            [rules[r].title(w.locale), w(f"{rules[r].days}日", f"{rules[r].days} days"), n]
            for r, n in t.overdue.items()
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
    paragraphs = []
    if figures.firm is None:
        named = [f for f in figures.firms.values() if f.code is not None]
        assigned = sum(f.assigned for f in figures.firms.values())
        paragraphs.append(
            w.end(
                w(
                    f"{len(named)}家承办机构的律师和法律服务工作者本期共受指派{assigned}件，"
                    f"办结{sum(f.ended for f in figures.firms.values())}件，"
                    f"期末在办{sum(f.open for f in figures.firms.values())}件",
                    f"The lawyers and legal workers of {w.n(len(named))} firms were assigned "
                    f"{w.n(assigned)} cases, ended {w.n(sum(f.ended for f in figures.firms.values()))} "
                    f"and had {w.n(sum(f.open for f in figures.firms.values()))} open at the period's end",
                )
            )
        )
    if figures.firm is not None and (mine := figures.firms.get(figures.firm.id)) is not None:
        paragraphs.append(
            w.end(
                w(
                    f"本期本所律师受指派{mine.assigned}件，办结{mine.ended}件，期末在办{mine.open}件，"
                    f"结案材料逾期未交{mine.closure_overdue}件",
                    f"In the period the firm's lawyers were assigned {w.n(mine.assigned)} cases, "
                    f"ended {w.n(mine.ended)}, had {w.n(mine.open)} open at its end and "
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
        w("表9 各承办机构", "Table 9. Per firm"),
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
        w("表10 咨询点值班天数", "Table 10. Desk duty days per lawyer"),
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
    found = figures.consultations
    if found is not None:
        for channel, number in _HOTLINES.items():
            now, before = found.channel(channel), found.channel(channel, previous=True)
            if now or before:
                lines.append(
                    w.end(hotline_sentence(number, now, before, locale=w.locale, quarter=_quarter(figures)))
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
                    f"本所律师受指派{mine.assigned}件，办结{mine.ended}件，期末在办{mine.open}件",
                    f"Assigned {w.n(mine.assigned)}, ended {w.n(mine.ended)}, open at the end "
                    f"{w.n(mine.open)}",
                )
            )
        )
    t = figures.timeliness
    overdue = sum(t.overdue.values())
    end = min(figures.period.end, figures.as_of)
    lines.append(
        w.end(
            w(
                f"按期率：审查{_pct(share(t.decided.on_time, t.decided.counted))}%，"
                f"指派{_pct(share(t.assigned.on_time, t.assigned.counted))}%，"
                f"结案材料{_pct(share(t.closure.on_time, t.closure.counted))}%；"
                f"截至{w.date(end)}逾期未办事项{overdue}项",
                f"On time: decisions {_pct(share(t.decided.on_time, t.decided.counted))}%, assignments "
                f"{_pct(share(t.assigned.on_time, t.assigned.counted))}%, closure materials "
                f"{_pct(share(t.closure.on_time, t.closure.counted))}%; "
                f"{w.n(overdue)} items open and overdue on {w.date(end)}",
            )
        )
    )
    return lines
