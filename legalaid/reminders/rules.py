"""The reminder rules, read from ``rules.toml``: what is due, when, to whom, and on what legal basis.

The shipped ``legalaid/reminders/rules.toml`` documents every rule and is what users read. The setting
``reminder_rules_file`` names a file of the same form whose keys replace the shipped ones, rule by rule; a
rule id the scan does not know, an unknown key or a value of the wrong type is one UserError line naming
the file and the rule.

Thresholds are days relative to the deadline, as one signed number: ``remind_before = [2, 0]`` are the
offsets -2 and 0, ``escalate_after = [1]`` is +1. A threshold <= 0 is a reminder, > 0 an escalation.

``pending`` is the calendar part of the scan, pure: for each anchor date near ``as_of`` it gives the most
urgent threshold of each level that is due and not too old (see its docstring). The scan then asks the
database only for cases whose anchor is one of those dates. ``catch_up`` gives, for a rule with a period
deadline, the last anchor date whose thresholds all fell before the window: its open items are sent once,
at the rule's last threshold.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models.reminders import ESCALATION, REMINDER

SHIPPED_RULES = Path(__file__).with_name("rules.toml")

# The rules the scan knows how to select (each has its "open while" conditions in scan.py), in the order a
# case meets them.
RULE_IDS: tuple[str, ...] = (
    "review_due",
    "assignment_due",
    "urgent_limitation",
    "first_contact_due",
    "progress_stale",
    "hearing_soon",
    "closure_due",
    "return_visit_due",
)
ROLES: tuple[str, ...] = ("center_staff", "center_head", "lawyer", "firm_director")
LEVELS: tuple[str, ...] = (REMINDER, ESCALATION)
# How far a deadline may move past anchor + days (a period ending in a long holiday) or a "date" rule's
# reminder may move back (to the working day before a holiday): the anchor dates the calendar looks at
# reach this far beyond the plain arithmetic. No run of days off in China comes near a month.
MAX_SHIFT_DAYS = 31

_KEYS = {
    "title_zh": str,
    "title_en": str,
    "days": int,
    "deadline": str,
    "remind_before": list,
    "remind": list,
    "escalate_after": list,
    "escalate": list,
    "basis_zh": str,
    "basis_en": str,
    "enabled": bool,
}

DeadlineKind = Literal["period", "date"]


@dataclass(frozen=True)
class Rule:
    """One rule of ``rules.toml``."""

    id: str
    title_zh: str
    title_en: str
    days: int
    deadline_kind: DeadlineKind
    remind_before: tuple[int, ...]
    remind: tuple[str, ...]
    escalate_after: tuple[int, ...]
    escalate: tuple[str, ...]
    basis_zh: str
    basis_en: str
    enabled: bool = True

    def title(self, locale: str) -> str:
        return self.title_zh if locale == "zh_CN" else self.title_en

    def basis(self, locale: str) -> str:
        return self.basis_zh if locale == "zh_CN" else self.basis_en

    def offsets(self, level: str) -> tuple[int, ...]:
        """The level's thresholds as signed days from the deadline, earliest first."""
        if level == REMINDER:
            return tuple(sorted(-days for days in self.remind_before))
        return tuple(sorted(self.escalate_after))

    def roles(self, level: str) -> tuple[str, ...]:
        return self.remind if level == REMINDER else self.escalate

    def deadline(self, anchor: date, calendar: WorkCalendar) -> date:
        """anchor + days; a period ending on a day off ends on the next working day, a date stays put."""
        last_day = anchor + timedelta(days=self.days)
        return calendar.period_end(last_day) if self.deadline_kind == "period" else last_day

    def send_day(self, threshold_day: date, calendar: WorkCalendar) -> date:
        """The working day a threshold is due in a digest.

        A period's threshold on a day off waits for the first working day after it (the scan takes every
        threshold up to ``as_of``, and runs on working days only). A fixed date's reminder on a day off comes
        the working day before: a hearing on Monday is no news on Monday morning.
        """
        if self.deadline_kind == "date" and not calendar.is_working_day(threshold_day):
            return calendar.previous_working_day(threshold_day)
        return threshold_day


def threshold_label(offset: int) -> str:
    """D-2, D, D+1: a threshold as the rules table and the command line show it."""
    return "D" if offset == 0 else f"D{offset:+d}"


@dataclass(frozen=True, slots=True)
class Pending:
    """The most urgent due threshold of one level, for cases whose anchor is ``anchor``."""

    anchor: date
    deadline: date
    threshold: int
    superseded: tuple[int, ...]  # the level's earlier thresholds, recorded as superseded when it is sent


def pending(
    rule: Rule, level: str, calendar: WorkCalendar, *, as_of: date, lookback_days: int
) -> dict[date, Pending]:
    """Anchor date → the threshold a case with that anchor is due for on ``as_of`` (if not sent already).

    A threshold is due when its send day (``Rule.send_day``) is on or before ``as_of`` and not more than
    ``lookback_days`` before it; of several due thresholds of a level only the most urgent (the latest)
    is sent. Nothing is due after a fixed date has passed. Which of these the database already has is the
    scan's business (a later threshold recorded means this one is done).
    """
    offsets = rule.offsets(level)
    if not offsets or not rule.enabled:
        return {}
    oldest = as_of - timedelta(days=lookback_days)
    first = as_of - timedelta(days=rule.days + max(offsets) + lookback_days + MAX_SHIFT_DAYS)
    last = as_of - timedelta(days=rule.days + min(offsets) - MAX_SHIFT_DAYS)
    result: dict[date, Pending] = {}
    anchor = first
    while anchor <= last:
        deadline = rule.deadline(anchor, calendar)
        if rule.deadline_kind != "date" or as_of <= deadline:
            due = [
                offset
                for offset in offsets
                if oldest <= rule.send_day(deadline + timedelta(days=offset), calendar) <= as_of
            ]
            if due:
                threshold = max(due)
                earlier = tuple(offset for offset in offsets if offset < threshold)
                result[anchor] = Pending(anchor, deadline, threshold, earlier)
        anchor += timedelta(days=1)
    return result


def last_overdue_anchor(rule: Rule, calendar: WorkCalendar, on: date) -> date:
    """The latest anchor date whose deadline is before ``on``: a case with an anchor on or before it, still
    open on ``on``, is overdue (deadlines never go back as the anchor moves on)."""
    anchor = on - timedelta(days=rule.days + 1)
    for _ in range(2 * MAX_SHIFT_DAYS):
        if rule.deadline(anchor, calendar) < on:
            return anchor
        anchor -= timedelta(days=1)
    return anchor  # pragma: no cover - only a calendar of endless days off gets here


@dataclass(frozen=True, slots=True)
class CatchUp:
    """The catch-up of one rule on one day: cases whose anchor is on or before ``last_anchor`` had every
    threshold of the rule fall before the lookback window (a first import, a scan that was down), so the
    daily scan will never send them; if still open they are sent once, at ``level``'s last threshold."""

    level: str
    threshold: int
    superseded: tuple[int, ...]
    last_anchor: date


def catch_up(rule: Rule, calendar: WorkCalendar, *, as_of: date, lookback_days: int) -> CatchUp | None:
    """The rule's catch-up on ``as_of``, or None for a rule with a fixed date (a hearing or a limitation
    date that has passed is not overdue work) or without thresholds.

    The level is the highest the item has reached: every threshold is past, so an escalation's day has
    passed too when the rule has one. Its last threshold is what the ledger records, so neither the
    catch-up nor the daily scan sends the item again for that anchor; an item whose last threshold was
    sent already (the ledger holds it) is not caught up.
    """
    if not rule.enabled or rule.deadline_kind != "period":
        return None
    levels = [level for level in LEVELS if rule.offsets(level)]
    if not levels:
        return None
    offsets = rule.offsets(levels[-1])
    threshold = max(offsets)  # the rule's latest threshold: escalations come after every reminder
    oldest = as_of - timedelta(days=lookback_days)
    # The latest threshold's day (a period's threshold is sent on its own day) before the window:
    # deadline + threshold < oldest.
    last_anchor = last_overdue_anchor(rule, calendar, oldest - timedelta(days=threshold))
    earlier = tuple(offset for offset in offsets if offset < threshold)
    return CatchUp(levels[-1], threshold, earlier, last_anchor)


# Loading -------------------------------------------------------------------------------------------------


def load_rules(settings: Settings) -> dict[str, Rule]:
    """The shipped rules, with the keys of ``reminder_rules_file`` (if set) in place of theirs."""
    shipped = _read(SHIPPED_RULES)
    if settings.reminder_rules_file is not None:
        overrides = _read(settings.reminder_rules_file)
        for rule_id, values in overrides.items():
            shipped[rule_id] = {**shipped.get(rule_id, {}), **values}
        return _parse(shipped, settings.reminder_rules_file)
    return _parse(shipped, SHIPPED_RULES)


def load_rules_file(path: Path) -> dict[str, Rule]:
    """A complete rules file on its own (the shipped one, or one a test writes)."""
    return _parse(_read(path), path)


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such reminder rules file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the reminder rules: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    if extra := sorted(set(data) - {"rules"}):
        raise UserError(f"{path}: unknown key {extra[0]!r} (the rules are [rules.<id>] tables)")
    rules = data.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise UserError(f"{path}: the rules are [rules.<id>] tables")
    return {rule_id: dict(values) for rule_id, values in rules.items()}


def _parse(data: Mapping[str, Mapping[str, Any]], path: Path) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for rule_id, values in data.items():
        where = f"{path}: rule {rule_id!r}"
        if rule_id not in RULE_IDS:
            raise UserError(f"{where}: unknown rule (known: {', '.join(RULE_IDS)})")
        rules[rule_id] = _rule(rule_id, values, where)
    if missing := [rule_id for rule_id in RULE_IDS if rule_id not in rules]:
        raise UserError(f"{path}: rule {missing[0]!r} is missing (set enabled = false to turn a rule off)")
    return {rule_id: rules[rule_id] for rule_id in RULE_IDS}


def _rule(rule_id: str, values: Mapping[str, Any], where: str) -> Rule:
    if unknown := sorted(set(values) - set(_KEYS)):
        raise UserError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    if missing := [key for key in _KEYS if key not in values]:
        raise UserError(f"{where}: missing {missing[0]!r}")
    for key, kind in _KEYS.items():
        value = values[key]
        # bool is an int to Python; a days = true is a mistake all the same.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise UserError(f"{where}: {key} must be {_KIND_NAMES[kind]}, not {value!r}")
    if not 0 <= values["days"] <= 366:
        raise UserError(f"{where}: days must be from 0 to 366, not {values['days']}")
    if values["deadline"] not in ("period", "date"):
        raise UserError(f'{where}: deadline must be "period" or "date", not {values["deadline"]!r}')
    before = _days_list(values["remind_before"], "remind_before", where)
    after = _days_list(values["escalate_after"], "escalate_after", where)
    if any(d < 1 for d in after):
        raise UserError(f"{where}: escalate_after counts days after the deadline, from 1")
    remind = _roles(values["remind"], "remind", where)
    escalate = _roles(values["escalate"], "escalate", where)
    for thresholds, roles, name in ((before, remind, "remind"), (after, escalate, "escalate")):
        if thresholds and not roles:
            raise UserError(f"{where}: {name} names nobody, but there are thresholds for it")
    return Rule(
        id=rule_id,
        title_zh=values["title_zh"],
        title_en=values["title_en"],
        days=values["days"],
        deadline_kind=values["deadline"],
        remind_before=before,
        remind=remind,
        escalate_after=after,
        escalate=escalate,
        basis_zh=" ".join(values["basis_zh"].split()),
        basis_en=" ".join(values["basis_en"].split()),
        enabled=values["enabled"],
    )


_KIND_NAMES = {str: "a string", int: "a whole number", list: "a list", bool: "true or false"}


def _days_list(value: list[Any], key: str, where: str) -> tuple[int, ...]:
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 366 for d in value):
        raise UserError(f"{where}: {key} must be a list of days from 0 to 366, not {value!r}")
    if len(set(value)) != len(value):
        raise UserError(f"{where}: {key} lists a day twice: {value!r}")
    return tuple(sorted(value, reverse=True))


def _roles(value: list[Any], key: str, where: str) -> tuple[str, ...]:
    for role in value:
        if role not in ROLES:
            raise UserError(f"{where}: {key}: unknown recipient {role!r} (known: {', '.join(ROLES)})")
    return tuple(dict.fromkeys(value))
