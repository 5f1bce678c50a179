"""How good a roster is, in four figures: coverage, balance, who is over their share, and one score.

Grafana OnCall's schedule quality report scores balance as the mean over all pairs of people of
min(load)/max(load); it counts coverage around the clock and ignores when people are away. Here:

* **coverage** is the share of the required desk positions (desk days × slots × people per slot) filled
  by someone able to serve: desk days only, so nights, weekends and holidays are not "gaps";
* **balance** is the mean over all pairs of pool members of min(load)/max(load), where a load is the
  person's duties divided by their fair share (what they were owed on the days they were available,
  see ``checks.loads``), so leave or joining mid-month is not held against anyone. 1.0 is perfect;
* **over** lists the people above their fair share as "+X%";
* **score** is coverage × balance × 100: an empty desk costs as much as an unfair one, and a roster
  scores 100 only when it is both full and fair.

Whole duties cannot be split: with 22 desk days and 12 lawyers some do two and some one, and balance
cannot reach 1.0. ``best_balance`` is the balance of the fairest possible split, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

from legalaid.config import Settings
from legalaid.roster.checks import Load, RosterView, loads


@dataclass(frozen=True)
class Quality:
    """The four figures of a window, with the loads they come from."""

    required: int  # desk positions
    filled: int
    balance: float  # 0..1
    best_balance: float  # 0..1: the balance of the fairest whole-duty split of the same positions
    over: list[tuple[str, int]]  # (person, +percent over the fair share), most over first
    loads: list[Load]

    @property
    def coverage(self) -> float:
        """0..1: the share of the required positions filled (1.0 when none are required)."""
        return self.filled / self.required if self.required else 1.0

    @property
    def score(self) -> int:
        """0..100: coverage × balance, so that an empty desk costs as much as an unfair one."""
        return round(self.coverage * self.balance * 100)

    def as_dict(self) -> dict[str, Any]:
        return {
            "coverage": round(self.coverage, 4),
            "required": self.required,
            "filled": self.filled,
            "balance": round(self.balance, 4),
            "best_balance": round(self.best_balance, 4),
            "over": [{"person": person, "over": f"+{percent}%"} for person, percent in self.over],
            "score": self.score,
            "loads": [
                {
                    "person": load.person,
                    "duties": load.count,
                    "share": round(float(load.share), 2),
                    "available_days": load.available_days,
                }
                for load in self.loads
            ],
        }


def measure(view: RosterView) -> Quality:
    """The quality figures of the roster in ``view``."""
    required = len(view.desk_days) * view.desk.per_day
    per_position: dict[tuple[object, str], int] = {}
    for shift in view.shifts:
        if view.serving(shift):
            key = (shift.on, shift.slot)
            per_position[key] = per_position.get(key, 0) + 1
    filled = sum(min(count, view.desk.per_slot) for count in per_position.values())
    table = [load for load in loads(view) if load.share > 0 or load.count > 0]
    balance = _balance([_load(load.count, load.share) for load in table])
    best = _balance(_fairest(table))
    over = sorted(
        (
            (load.person, round((load.count / load.share - 1) * 100))
            for load in table
            if load.share > 0 and load.count > load.share
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return Quality(
        required=required, filled=filled, balance=balance, best_balance=best, over=over, loads=table
    )


def _load(count: int, share: Fraction) -> float:
    if share == 0:
        return float("inf") if count else 1.0
    return count / float(share)


def _balance(values: list[float]) -> float:
    pairs = list(combinations(values, 2))
    if not pairs:
        return 1.0
    total = 0.0
    for a, b in pairs:
        high, low = max(a, b), min(a, b)
        total += 1.0 if high == 0 else (0.0 if high == float("inf") else low / high)
    return total / len(pairs)


def _fairest(table: list[Load]) -> list[float]:
    """The loads of the fairest whole-duty split: everyone gets the floor of their share, and the
    duties left over go to those with the largest remainders."""
    duties = sum(load.count for load in table)
    counts = {load.person: int(load.share) for load in table}
    left = duties - sum(counts.values())
    by_remainder = sorted(table, key=lambda load: (-(load.share - int(load.share)), load.person))
    for load in by_remainder[: max(0, left)]:
        counts[load.person] += 1
    return [_load(counts[load.person], load.share) for load in table]


# The report in plain words, not in figures of merit: how many positions were filled, how many duties
# each lawyer did, and whether that is the most even split whole duties allow (the balance equals the
# best balance) — a split that could not be better is said to be so, and nobody in it is flagged.
PLAIN = {
    "zh_CN": {
        "filled": "应排{required}班，已全部排满",
        "missing": "应排{required}班，已排{filled}班，缺{missing}班",
        "range": "{low}至{high}{unit}",
        "one": "{low}{unit}",
        "best": "每人值班{counts}，已是本月工作日数下最均衡的安排",
        "uneven": "每人值班{counts}，还可以更均衡",
        "headline_filled": "排班已满",
        "headline_missing": "缺{missing}班",
        "headline_best": "分配均衡",
        "headline_uneven": "分配可更均衡",
        "separator": "，",
        "more": "偏多",
        "fewer": "偏少",
        "unit_day": "天",
        "unit_duty": "班",
    },
    "en": {
        "filled": "all {required} positions filled",
        "missing": "{filled} of {required} positions filled, {missing} missing",
        "range": "{low} to {high} {unit}",
        "one": "{low} {unit}",
        "best": "each lawyer did {counts}, the most even split the month's desk days allow",
        "uneven": "each lawyer did {counts}; the duties could be shared more evenly",
        "headline_filled": "all filled",
        "headline_missing": "{missing} missing",
        "headline_best": "evenly shared",
        "headline_uneven": "could be more even",
        "separator": ", ",
        "more": "more than due",
        "fewer": "fewer than due",
        "unit_day": "days",
        "unit_duty": "duties",
    },
}


def plain_summary(quality: Quality, settings: Settings) -> dict[str, Any]:
    """The month's roster in words: ``coverage_text`` (应排18班，已排17班，缺1班), ``balance_text``
    (每人值班5至6天，已是本月工作日数下最均衡的安排), a ``headline`` for a subject, and ``best``."""
    plain = PLAIN.get(settings.locale, PLAIN["en"])
    best = quality.balance >= quality.best_balance - 1e-9
    counts = [load.count for load in quality.loads]
    unit = plain["unit_day"] if list(settings.roster_slots) == ["day"] else plain["unit_duty"]
    low, high = (min(counts), max(counts)) if counts else (0, 0)
    counts_text = plain["one" if low == high else "range"].format(low=low, high=high, unit=unit)
    missing = quality.required - quality.filled
    coverage_text = plain["missing" if missing > 0 else "filled"].format(
        required=quality.required, filled=quality.filled, missing=missing
    )
    headline = plain["separator"].join(
        [
            plain["headline_missing" if missing > 0 else "headline_filled"].format(missing=missing),
            plain["headline_best" if best else "headline_uneven"],
        ]
    )
    return {
        "headline": headline,
        "coverage_text": coverage_text,
        "balance_text": plain["best" if best else "uneven"].format(counts=counts_text),
        "best": best,
    }
