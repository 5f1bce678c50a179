"""The order of a case's dated steps: each present step on or after the nearest earlier present one.

applied ≤ decided ≤ assigned ≤ first contact ≤ ended ≤ closure submitted ≤ return visit, the order the
Legal Aid Law's procedure follows; ``last_progress_on`` (the lawyer's latest report) is not before the
assignment (nor, without one, the decision or the application). ``next_hearing_on`` is the court's date,
not a step of the case, and ``limitation_on`` a deadline: neither is ordered. A missing step is skipped,
so that a case is compared as far as it has gone. Used by the cases import and by ``case assign``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

STEPS = (
    "applied_on",
    "decided_on",
    "assigned_on",
    "first_contact_on",
    "ended_on",
    "closure_submitted_on",
    "return_visit_on",
)
# Steps outside the chain, each compared with the nearest present step it must not precede.
NOT_BEFORE = {"last_progress_on": ("assigned_on", "decided_on", "applied_on")}


@dataclass(frozen=True)
class OutOfOrder:
    """Step ``early`` (which should come first) is after step ``late``."""

    early: str
    early_on: date
    late: str
    late_on: date


def out_of_order(dates: Mapping[str, date | None]) -> list[OutOfOrder]:
    """Every pair of a present step and the nearest earlier present step that are the wrong way round."""
    present = {name: on for name, on in dates.items() if on is not None}
    found: list[OutOfOrder] = []
    previous: tuple[str, date] | None = None
    for name in STEPS:
        if (on := present.get(name)) is None:
            continue
        if previous is not None and on < previous[1]:
            found.append(OutOfOrder(*previous, name, on))
        previous = name, on
    for name, earlier in NOT_BEFORE.items():
        anchor = next(((step, present[step]) for step in earlier if step in present), None)
        if (on := present.get(name)) is not None and anchor is not None and on < anchor[1]:
            found.append(OutOfOrder(*anchor, name, on))
    return found
