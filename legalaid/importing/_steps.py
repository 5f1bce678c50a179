"""Checking the order of a case's dated steps (the order is ``legalaid.steps``): each present step on or
after the nearest earlier present one. Used by the cases import and by ``case assign``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from legalaid.steps import NOT_BEFORE, STEPS


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
