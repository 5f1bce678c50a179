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

from legalaid.roster.checks import Load, RosterView, loads


@dataclass(frozen=True)
class Quality:
    """The four figures of a window, with the loads they come from."""

    coverage: float  # 0..1
    required: int  # desk positions
    filled: int
    balance: float  # 0..1
    best_balance: float  # 0..1: the balance of the fairest whole-duty split of the same positions
    over: list[tuple[str, int]]  # (person, +percent over the fair share), most over first
    score: int  # 0..100
    loads: list[Load]

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
    coverage = filled / required if required else 1.0
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
        coverage=coverage,
        required=required,
        filled=filled,
        balance=balance,
        best_balance=best,
        over=over,
        score=round(coverage * balance * 100),
        loads=table,
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
