"""Digests: the due items grouped per person, one reminder digest and one escalation digest a day each.

Who gets an item follows from its rule's roles (``remind`` or ``escalate``): the center staff (each of
them), the head of the center, the case's lawyer, the director of the lawyer's firm. A person who cannot
get it (no email address, not active, a code that names nobody) and a role nobody fills (no lawyer
recorded, a firm without a director, no active leader) make the item *undeliverable* for that role: it
goes into every reachable staff member's reminder digest, in a section "could not be delivered to", so
that someone can pass it on and fix the record. Nothing is dropped silently; an item nobody at all can
get (not even the staff) is left unrecorded, and the next scan tries again.

A digest's lines are sorted most urgent first (most overdue, then least time left), then by case number.
Applicants' names are shortened (王小明 → 王*明): a digest is an email, and the case number identifies the
case. Each rule in a digest has its legal basis printed once, under the table.

A digest's outbox key is ``<kind>-digest:<as_of>:<person>:<hash of its item keys>``: the same items make
the same key (a retried transaction enqueues nothing twice), and a later scan the same day that finds new
items makes a new digest for them instead of colliding with the morning's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.config import Settings
from legalaid.dates import format_date
from legalaid.directory import center_head, center_staff
from legalaid.documents.registry import Locale
from legalaid.mail import RenderedEmail, render_email
from legalaid.models import Firm, Person
from legalaid.models.reminders import ESCALATION, REMINDER
from legalaid.reminders.rules import Rule
from legalaid.reminders.scan import DueItem

# A list of ids or codes in one IN (…): well under SQLite's and PostgreSQL's limits on parameters.
IN_CHUNK = 5000

ROLE_LABELS = {
    "zh_CN": {
        "center_staff": "中心工作人员",
        "center_head": "中心主任",
        "lawyer": "承办人",
        "firm_director": "所在机构负责人",
    },
    "en": {
        "center_staff": "center staff",
        "center_head": "head of the center",
        "lawyer": "assigned lawyer",
        "firm_director": "director of the lawyer's firm",
    },
}
REASONS = {
    "zh_CN": {
        "no_email": "{who}未登记电子邮箱",
        "inactive": "{who}已不在职",
        "unknown_person": "编号{code}查无此人",
        "no_lawyer": "案件未登记承办人",
        "no_firm": "承办人{who}未登记所属机构",
        "no_director": "{firm}未登记负责人",
        "nobody": "未设置{role}",
    },
    "en": {
        "no_email": "{who} has no email address",
        "inactive": "{who} is not active",
        "unknown_person": "no person with code {code}",
        "no_lawyer": "no lawyer recorded for the case",
        "no_firm": "lawyer {who} has no firm recorded",
        "no_director": "{firm} has no director recorded",
        "nobody": "no {role} set",
    },
}


@dataclass(frozen=True)
class Unreachable:
    """Why a role of an item reaches nobody: ``reason`` is a key of ``REASONS``."""

    role: str
    reason: str
    code: str = ""  # the person it was for, when there is one to name
    name: str = ""
    firm: str = ""
    # The person the reason is about when that is not the recipient (the lawyer without a firm).
    about: tuple[str, str] | None = None

    def describe(self, locale: str) -> str:
        code, name = self.about or (self.code, self.name)
        who = f"{name}（{code}）" if locale == "zh_CN" else f"{code} {name}"
        role = ROLE_LABELS[locale][self.role]
        return REASONS[locale][self.reason].format(who=who, code=code, firm=self.firm, role=role)


@dataclass(frozen=True)
class Undelivered:
    """An item that could not reach one of its people, reported to the center staff."""

    item: DueItem
    unreachable: Unreachable


@dataclass
class Digest:
    """One person's digest of one kind (reminder or escalation) on one day."""

    person: Person
    kind: str
    items: list[tuple[DueItem, str]] = field(default_factory=list)  # (item, the person's role in it)
    undelivered: list[Undelivered] = field(default_factory=list)

    def key(self, as_of: date) -> str:
        parts = sorted(
            [f"{item.key}@{role}" for item, role in self.items]
            + [f"{u.item.key}!{u.unreachable.role}:{u.unreachable.code}" for u in self.undelivered]
        )
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        return f"{self.kind}-digest:{as_of.isoformat()}:{self.person.code}:{digest}"

    def item_keys(self) -> set[str]:
        return {item.key for item, _ in self.items} | {u.item.key for u in self.undelivered}


@dataclass
class Plan:
    """Every digest of a scan, and what could not be delivered (and to whom it was reported)."""

    digests: list[Digest]
    undelivered: list[Undelivered]
    orphans: list[Undelivered]  # undeliverable, and no staff member to report it to

    def carried(self) -> set[str]:
        """Keys of the items at least one digest carries (as a line or as an undeliverable report)."""
        keys: set[str] = set()
        for digest in self.digests:
            keys |= digest.item_keys()
        return keys


class AddressBook:
    """The people a scan's items are for, loaded once per scan in a few queries (not one per item)."""

    def __init__(self, session: Session, settings: Settings, items: Sequence[DueItem]) -> None:
        self.settings = settings
        self.groups = {
            "center_staff": self._group(session, "center_staff"),
            "center_head": self._group(session, "center_head"),
        }
        self.lawyers = {p.id: p for p in _chunked(session, Person, Person.id, {i.lawyer_id for i in items})}
        firm_ids = {p.firm_id for p in self.lawyers.values() if p.firm_id is not None}
        self.firms = {f.id: f for f in _chunked(session, Firm, Firm.id, firm_ids)}
        director_codes = {f.director_code for f in self.firms.values() if f.director_code}
        self.directors = {p.code: p for p in _chunked(session, Person, Person.code, director_codes)}

    @property
    def staff(self) -> list[Person]:
        """The staff members who can be mailed: they receive the undeliverable reports."""
        return self.groups["center_staff"][0]

    def targets(self, item: DueItem, role: str) -> tuple[list[Person], list[Unreachable]]:
        """Who gets ``item`` in ``role``, and who (or what role) it cannot reach."""
        if role in self.groups:
            return self.groups[role]
        lawyer = self.lawyers.get(item.lawyer_id) if item.lawyer_id is not None else None
        if lawyer is None:
            return [], [Unreachable(role, "no_lawyer")]
        if role == "lawyer":
            return _reachable([lawyer], role)
        firm = self.firms.get(lawyer.firm_id) if lawyer.firm_id is not None else None
        if firm is None:
            return [], [Unreachable(role, "no_firm", about=(lawyer.code, lawyer.name))]
        director = self.directors.get(firm.director_code) if firm.director_code else None
        if director is None:
            if firm.director_code:
                return [], [Unreachable(role, "unknown_person", firm.director_code)]
            return [], [Unreachable(role, "no_director", firm=firm.name)]
        return _reachable([director], role)

    def roles(self, item: DueItem, roles: Sequence[str]) -> list[str]:
        """The roles an item goes to, one level up where a role would ask someone to chase herself: a
        firm's director who is the case's own lawyer gets her escalation from the head of the center
        instead (督促承办人 is not something she can do to herself). Each role once."""
        lawyer = self.lawyers.get(item.lawyer_id) if item.lawyer_id is not None else None
        firm = self.firms.get(lawyer.firm_id) if lawyer is not None and lawyer.firm_id is not None else None
        own = lawyer is not None and firm is not None and firm.director_code == lawyer.code
        up = ["center_head" if own and role == "firm_director" else role for role in roles]
        return list(dict.fromkeys(up))

    def lawyer_name(self, item: DueItem) -> str:
        lawyer = self.lawyers.get(item.lawyer_id) if item.lawyer_id is not None else None
        return lawyer.name if lawyer else ""

    def _group(self, session: Session, role: str) -> tuple[list[Person], list[Unreachable]]:
        if role == "center_staff":
            found, codes = center_staff(session, self.settings), list(self.settings.center_staff)
        else:
            found = center_head(session, self.settings)
            codes = [self.settings.center_head] if self.settings.center_head else []
        people, unreachable = _reachable(found.people, role)
        # Codes the setting names that the directory did not return: unknown, or not active.
        missing = [code for code in codes if code not in {p.code for p in found.people}]
        known = {p.code: p for p in _chunked(session, Person, Person.code, set(missing))}
        for code in missing:
            person = known.get(code)
            if person is None:
                unreachable.append(Unreachable(role, "unknown_person", code))
            else:
                unreachable.append(Unreachable(role, "inactive", code, person.name))
        if not people and not unreachable:
            unreachable.append(Unreachable(role, "nobody"))
        return people, unreachable


def _reachable(people: Iterable[Person], role: str) -> tuple[list[Person], list[Unreachable]]:
    reachable, unreachable = [], []
    for person in people:
        if not person.active:
            unreachable.append(Unreachable(role, "inactive", person.code, person.name))
        elif not person.email:
            unreachable.append(Unreachable(role, "no_email", person.code, person.name))
        else:
            reachable.append(person)
    return reachable, unreachable


def _chunked(session: Session, model: Any, column: Any, values: set[Any]) -> Iterator[Any]:
    wanted = sorted(v for v in values if v is not None)
    for start in range(0, len(wanted), IN_CHUNK):
        yield from session.scalars(select(model).where(column.in_(wanted[start : start + IN_CHUNK])))


def plan_digests(items: Iterable[DueItem], rules: dict[str, Rule], book: AddressBook) -> Plan:
    """Group the items into digests per person and kind; report what cannot be delivered to the staff."""
    digests: dict[tuple[str, str], Digest] = {}

    def digest_for(person: Person, kind: str) -> Digest:
        found = digests.get((person.code, kind))
        if found is None:
            found = digests[(person.code, kind)] = Digest(person=person, kind=kind)
        return found

    undelivered: list[Undelivered] = []
    for item in items:
        for role in book.roles(item, rules[item.rule].roles(item.level)):
            people, unreachable = book.targets(item, role)
            for person in people:
                digest_for(person, item.level).items.append((item, role))
            undelivered.extend(Undelivered(item, u) for u in unreachable)
    staff = book.staff
    for person in staff:
        for entry in undelivered:
            digest_for(person, REMINDER).undelivered.append(entry)
    ordered = sorted(digests.values(), key=lambda d: (d.person.code, d.kind != REMINDER))
    return Plan(digests=ordered, undelivered=undelivered, orphans=[] if staff else list(undelivered))


def restrict(plan: Plan, keys: set[str]) -> Plan:
    """The plan with only the items in ``keys`` (those this scan won); empty digests dropped."""
    digests = []
    for digest in plan.digests:
        kept = Digest(
            person=digest.person,
            kind=digest.kind,
            items=[(item, role) for item, role in digest.items if item.key in keys],
            undelivered=[u for u in digest.undelivered if u.item.key in keys],
        )
        if kept.items or kept.undelivered:
            digests.append(kept)
    undelivered = [u for u in plan.undelivered if u.item.key in keys]
    return Plan(
        digests=digests, undelivered=undelivered, orphans=[u for u in plan.orphans if u.item.key in keys]
    )


# Rendering -----------------------------------------------------------------------------------------------


def shorten_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*, 欧阳小明 → 欧**明: the first and last character, the rest starred."""
    compact = "".join(name.split())
    if len(compact) <= 1:
        return compact
    if len(compact) == 2:
        return compact[0] + "*"
    return compact[0] + "*" * (len(compact) - 2) + compact[-1]


def days_text(days_left: int, locale: str) -> str:
    """剩2天 / 今日到期 / 逾期3天, or 2 days left / due today / 3 days overdue."""
    if locale == "zh_CN":
        if days_left > 0:
            return f"剩{days_left}天"
        return "今日到期" if days_left == 0 else f"逾期{-days_left}天"
    if days_left == 0:
        return "due today"
    count = abs(days_left)
    unit = "day" if count == 1 else "days"
    return f"{count} {unit} left" if days_left > 0 else f"{count} {unit} overdue"


CATCH_UP = {
    "zh_CN": {REMINDER: "（补发提醒）", ESCALATION: "（补发督办）"},
    "en": {REMINDER: " (catch-up)", ESCALATION: " (catch-up)"},
}


def item_days(item: DueItem, as_of: date, locale: str) -> str:
    """The digest's days column: ``days_text``, and for a catch-up item the marker that says so
    (逾期68天（补发提醒）, 68 days overdue (catch-up))."""
    text = days_text(item.days_left(as_of), locale)
    return text + CATCH_UP[locale][item.level] if item.catch_up else text


def urgency(item: DueItem, as_of: date) -> tuple[int, str, str]:
    """Sort key: most overdue first, then least time left, then case number and rule."""
    return item.days_left(as_of), item.case_no, item.rule


def render_digest(
    digest: Digest,
    *,
    as_of: date,
    rules: dict[str, Rule],
    book: AddressBook,
    settings: Settings,
    links: Mapping[str, str] | None = None,
) -> RenderedEmail:
    """The digest's email (subject, text, HTML) from ``templates/email/<locale>/<kind>_digest.*``; a line
    whose item key ``links`` names carries that link (``actions.digest_links``: the step's button)."""
    locale = settings.locale
    links = links or {}
    ordered = sorted(digest.items, key=lambda pair: urgency(pair[0], as_of))
    lines = [
        _line(item, role, as_of=as_of, rules=rules, book=book, locale=locale)
        | {"link": links.get(item.key, "")}
        for item, role in ordered
    ]
    seen: dict[str, Rule] = {}
    for item, _ in ordered:
        seen.setdefault(item.rule, rules[item.rule])
    reports = sorted(digest.undelivered, key=lambda u: (urgency(u.item, as_of), u.unreachable.role))
    context = {
        "center_name": settings.center_name,
        "recipient_name": digest.person.name,
        "as_of": format_date(as_of, locale),
        "items": lines,
        "bases": [{"title": rule.title(locale), "basis": rule.basis(locale)} for rule in seen.values()],
        "undeliverable": [
            {
                "case_no": u.item.case_no,
                "applicant": shorten_name(u.item.applicant),
                "due": rules[u.item.rule].title(locale),
                "deadline": format_date(u.item.deadline, locale),
                "days": item_days(u.item, as_of, locale),
                "for_whom": ROLE_LABELS[locale][u.unreachable.role],
                "reason": u.unreachable.describe(locale),
            }
            for u in reports
        ],
        # The templates explain the catch-up marker once, under the table, when a line carries it.
        "catch_up": any(item.catch_up for item, _ in ordered) or any(u.item.catch_up for u in reports),
    }
    return render_email(f"{digest.kind}_digest", context, locale=locale)


def _line(
    item: DueItem, role: str, *, as_of: date, rules: dict[str, Rule], book: AddressBook, locale: Locale
) -> dict[str, Any]:
    rule = rules[item.rule]
    if item.level == ESCALATION:
        # Name who should have acted: the lawyer for the lawyer's steps, else the role that was reminded.
        if "lawyer" in rule.remind:
            responsible = book.lawyer_name(item) or ROLE_LABELS[locale]["lawyer"]
        else:
            separator = "、" if locale == "zh_CN" else ", "
            responsible = separator.join(ROLE_LABELS[locale][r] for r in rule.remind)
    else:
        responsible = ""
    return {
        "case_no": item.case_no,
        "applicant": shorten_name(item.applicant),
        "due": rule.title(locale),
        "deadline": format_date(item.deadline, locale),
        "days": item_days(item, as_of, locale),
        "responsible": responsible,
        "role": ROLE_LABELS[locale][role],
    }
