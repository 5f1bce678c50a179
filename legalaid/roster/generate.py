"""The duty rotation (轮流蹲点): plain data in, plain data out.

Fair share by deficit. On every desk day each person who is available that day (active, in the pool, not
on leave) is owed an equal part of that day's duties: ``duties / available people``. A person's *deficit*
is what they were owed minus what they did. Each empty position goes to the available person with the
largest deficit, then to whoever has waited longest since their last duty, then by code, so the result is
deterministic. Because everyone available gains the same on a day and the chosen lose one, the deficits of
people available on the same days never drift more than one duty apart: over any window their counts
differ by at most one, and someone on leave for part of it is owed (and gets) only the days they were
there. The history before the window is replayed the same way first, so a new month continues where the
last one left off and consecutive months together stay within one as well.

Constraints: never someone unavailable; never one person in two slots of a day; never more than
``max_consecutive`` consecutive desk days for one person, unless nobody else is free that day (then the
limit gives way rather than leaving the desk empty, and ``checks`` reports it). Existing shifts in the
window are kept and only empty positions are filled (``fill`` narrows that to some positions).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from legalaid.roster.data import Away, Desk, LeaveBook, Member, Shift, available

DEFAULT_DESK = Desk()


@dataclass(frozen=True)
class Unfilled:
    """A position nobody could take: ``missing`` people short in ``slot`` on ``on``."""

    on: date
    slot: str
    missing: int


@dataclass(frozen=True)
class Rotation:
    """The window's shifts (kept and added), what was added, what stayed empty, and each person's load."""

    shifts: tuple[Shift, ...]
    added: tuple[Shift, ...]
    unfilled: tuple[Unfilled, ...]
    counts: dict[str, int] = field(default_factory=dict)  # duties in the window per available person
    shares: dict[str, Fraction] = field(default_factory=dict)  # what each was owed in the window


@dataclass
class _State:
    """A person's running figures while the days are replayed."""

    deficit: Fraction = Fraction(0)
    last: int = -1  # index of the last desk day on duty; -1: never
    served: set[int] = field(default_factory=set)  # desk-day indexes on duty (history, kept, added)
    slot_counts: dict[str, int] = field(default_factory=dict)


def generate_rotation(
    *,
    people: Sequence[Member],
    desk_days: Sequence[date],
    desk: Desk = DEFAULT_DESK,
    leave: Iterable[Away] = (),
    existing: Iterable[Shift] = (),
    history: Iterable[Shift] = (),
    history_days: Sequence[date] | None = None,
    fill: Collection[tuple[date, str]] | None = None,
    carry_limit: Fraction | None = None,
) -> Rotation:
    """Fill the empty positions of ``desk_days`` fairly (see the module docstring).

    ``existing``: shifts already in the window, kept. ``history``: shifts before the window, replayed for
    the deficits and for the consecutive-days limit; ``history_days`` are the desk days they cover (by
    default the days that have a history shift). ``fill``: only these (day, slot) positions are filled.
    ``carry_limit``: the deficits carried in from history are clipped to ±this, so that history the
    caller only approximates (a pool that changed) cannot hand someone a run of duties.
    """
    book = LeaveBook(leave)
    window = sorted(set(desk_days))
    history_list = sorted(history, key=lambda s: s.sort_key)
    past = sorted(set(history_days if history_days is not None else (s.on for s in history_list)))
    past = [d for d in past if not window or d < window[0]]
    days = past + window
    index = {d: i for i, d in enumerate(days)}
    states = {m.code: _State() for m in people}
    members = sorted(people, key=lambda m: m.code)

    by_day: dict[date, list[Shift]] = {}
    for shift in history_list:
        by_day.setdefault(shift.on, []).append(shift)
    kept = sorted({s for s in existing if s.on in index and s.on >= (window[0] if window else s.on)})
    for shift in kept:
        by_day.setdefault(shift.on, []).append(shift)
    for shift in [*history_list, *kept]:
        if shift.person in states and shift.on in index:
            states[shift.person].served.add(index[shift.on])

    for day in past:
        _settle(day, index[day], by_day.get(day, []), members, states, book)
    if carry_limit is not None:
        for state in states.values():
            state.deficit = max(-carry_limit, min(carry_limit, state.deficit))

    owed = {code: Fraction(0) for code in states}
    added: list[Shift] = []
    unfilled: list[Unfilled] = []
    for day in window:
        i = index[day]
        today = by_day.setdefault(day, [])
        free = [m for m in members if available(m, day, book)]
        new = _fill_day(day, i, today, free, states, desk, fill, unfilled)
        today.extend(new)
        added.extend(new)
        for code, share in _settle(day, i, today, members, states, book).items():
            owed[code] += share

    shifts = sorted([*kept, *added], key=lambda s: s.sort_key)
    in_window = {m.code for m in members if any(available(m, d, book) for d in window)}
    counts = dict.fromkeys(sorted(in_window), 0)
    for shift in shifts:
        if shift.person in counts:
            counts[shift.person] += 1
    return Rotation(
        shifts=tuple(shifts),
        added=tuple(sorted(added, key=lambda s: s.sort_key)),
        unfilled=tuple(unfilled),
        counts=counts,
        shares={code: owed[code] for code in counts},
    )


def _settle(
    day: date,
    i: int,
    shifts: Sequence[Shift],
    members: Sequence[Member],
    states: dict[str, _State],
    book: LeaveBook,
) -> dict[str, Fraction]:
    """Book a day: everyone available is owed an equal part of its duties, whoever was on duty did one."""
    free = [m.code for m in members if available(m, day, book)]
    shares: dict[str, Fraction] = {}
    counted = [s for s in shifts if s.person in states]
    if free and counted:
        share = Fraction(len(counted), len(free))
        for code in free:
            states[code].deficit += share
            shares[code] = share
    for shift in counted:
        state = states[shift.person]
        state.deficit -= 1
        state.last = max(state.last, i)
        state.served.add(i)
        state.slot_counts[shift.slot] = state.slot_counts.get(shift.slot, 0) + 1
    return shares


def _fill_day(
    day: date,
    i: int,
    today: Sequence[Shift],
    free: Sequence[Member],
    states: dict[str, _State],
    desk: Desk,
    fill: Collection[tuple[date, str]] | None,
    unfilled: list[Unfilled],
) -> list[Shift]:
    """Choose the people for the day's empty positions, then give each position to one of them."""
    positions: list[str] = []
    for slot in desk.slots:
        if fill is not None and (day, slot) not in fill:
            continue
        taken = sum(1 for s in today if s.slot == slot)
        positions.extend([slot] * max(0, desk.per_slot - taken))
    on_duty = {s.person for s in today}
    chosen: list[str] = []
    for _ in positions:
        candidates = [m.code for m in free if m.code not in on_duty and m.code not in chosen]
        if not candidates:
            break
        chosen.append(min(candidates, key=lambda code: _priority(code, i, states[code], desk)))
    # Among the day's people, each position goes to whoever has had that slot least (am/pm in turn).
    new: list[Shift] = []
    missing: dict[str, int] = {}
    for slot in positions:
        if not chosen:
            missing[slot] = missing.get(slot, 0) + 1
            continue
        person = min(chosen, key=lambda code: (states[code].slot_counts.get(slot, 0), chosen.index(code)))
        chosen.remove(person)
        new.append(Shift(day, slot, person))
    unfilled.extend(Unfilled(day, slot, count) for slot, count in missing.items())
    return new


def _priority(code: str, i: int, state: _State, desk: Desk) -> tuple[bool, Fraction, int, str]:
    """Smallest first: within the consecutive limit, most owed, longest waiting, then by code."""
    before = 0
    while i - before - 1 in state.served:
        before += 1
    after = 0
    while i + after + 1 in state.served:
        after += 1
    over_limit = before + 1 + after > desk.max_consecutive
    return (over_limit, -state.deficit, state.last, code)
