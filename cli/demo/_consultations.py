"""The demo's consultations: daily tallies of the 148 hotline and of visits, and the arbitration desk.

A tally row stands for one day's contacts (``count``), the way a center copies its hotline log; the desk's
mediations and conversions are one row each, and each conversion falls on the day its case was applied
for, answered by the lawyer on duty that day.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date

from cli.demo._calendar import StatisticalYear, WorkingDay, working_days
from cli.demo._cases import LABOR_MATTERS, YearPlan
from cli.demo._people import STAFF, Row

_HOTLINE_REFERRED_SHARE = 0.02  # calls passed on to another office (labor inspection, mediation, …)
_HOTLINE_TOPICS = ("追索劳动报酬", "劳动合同纠纷", "工伤赔偿", "婚姻家庭", "交通事故", "房屋拆迁")


def spread(rng: random.Random, total: int, days: Sequence[date]) -> dict[date, int]:
    """``total`` split over ``days`` with some day-to-day noise, summing to exactly ``total``.

    Mondays and the weeks before the Spring Festival are busier; the split is by largest remainder, so
    the parts are whole numbers and their sum is exact.
    """
    if total == 0 or not days:
        return {}
    weights = [
        rng.uniform(0.6, 1.4) * (1.3 if day.weekday() == 0 else 1.0) * (1.4 if day.month in (1, 12) else 1.0)
        for day in days
    ]
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(days)), key=lambda i: (shares[i] - parts[i], -i), reverse=True)
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return {day: part for day, part in zip(days, parts, strict=True) if part}


def _row(day: date, channel: str, outcome: str, handled_by: str | None, topic: str | None, count: int) -> Row:
    return {
        "date": day,
        "channel": channel,
        "outcome": outcome,
        "handled_by": handled_by,
        "topic": topic,
        "count": count,
    }


def consultation_rows(
    rng: random.Random,
    *,
    year: StatisticalYear,
    plan: YearPlan,
    working_day: WorkingDay,
    duty: Mapping[date, str],
    conversions: Sequence[tuple[date, str]],
) -> list[Row]:
    """The consultations of one statistical year, adding up to the plan's figures exactly."""
    days = working_days(year.start, year.end, working_day)
    # The hotline and the front desk are staffed by the center's staff in turn.
    staff = {day: STAFF[index % len(STAFF)] for index, day in enumerate(days)}
    rows: list[Row] = []
    referred = round(plan.hotline_148 * _HOTLINE_REFERRED_SHARE)
    for day, count in spread(rng, plan.hotline_148 - referred, days).items():
        rows.append(_row(day, "hotline_148", "answered", staff[day], None, count))
    for day in sorted(rng.choices(days, k=referred)):
        rows.append(_row(day, "hotline_148", "referred", staff[day], rng.choice(_HOTLINE_TOPICS), 1))
    for day, count in spread(rng, plan.visits, days).items():
        rows.append(_row(day, "visit", "answered", staff[day], None, count))
    if plan.desk_answered or plan.desk_mediated or plan.desk_referred:
        rows.extend(_desk_rows(rng, days, plan, duty, conversions))
    rows.sort(key=lambda row: (str(row["date"]), str(row["channel"]), str(row["outcome"])))
    return rows


def _desk_rows(
    rng: random.Random,
    days: Sequence[date],
    plan: YearPlan,
    duty: Mapping[date, str],
    conversions: Sequence[tuple[date, str]],
) -> list[Row]:
    """The arbitration desk: answers tallied per day, each mediation and each conversion a row."""
    labor = sorted(LABOR_MATTERS)
    rows = [
        _row(day, "arbitration_desk", "answered", duty[day], None, count)
        for day, count in spread(rng, plan.desk_answered, days).items()
    ]
    rows.extend(
        _row(day, "arbitration_desk", "referred", duty[day], None, count)
        for day, count in spread(rng, plan.desk_referred, days).items()
    )
    for day in rng.sample(days, plan.desk_mediated):
        rows.append(_row(day, "arbitration_desk", "mediated", duty[day], rng.choice(labor), 1))
    for day, matter in conversions:
        rows.append(_row(day, "arbitration_desk", "converted", duty[day], matter, 1))
    return rows
