"""Who is who: the center staff, the head of the center, report recipients, a firm's director.

Each role is a setting (person codes) with a default from the people table, as the README's configuration
table says.
A code that names nobody, or nobody active, is reported rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.config import Settings
from legalaid.models import Firm, Person
from legalaid.models.enums import Role


@dataclass(frozen=True)
class Recipients:
    """People resolved for a role, and the codes that could not be used (unknown, inactive, no email)."""

    people: list[Person]
    problems: list[str]

    @property
    def addresses(self) -> list[str]:
        return [p.email for p in self.people if p.email]


def _by_codes(session: Session, codes: Sequence[str], role_name: str) -> Recipients:
    found = {p.code: p for p in session.scalars(select(Person).where(Person.code.in_(codes)))}
    people: list[Person] = []
    problems: list[str] = []
    for code in codes:
        person = found.get(code)
        if person is None:
            problems.append(f"{role_name}: no person with code {code}")
        elif not person.active:
            problems.append(f"{role_name}: {code} {person.name} is not active")
        else:
            people.append(person)
    return _with_email_check(people, problems, role_name)


def _with_email_check(people: list[Person], problems: list[str], role_name: str) -> Recipients:
    problems = problems + [
        f"{role_name}: {p.code} {p.name} has no email address" for p in people if not p.email
    ]
    return Recipients(people=people, problems=problems)


def _active_with_role(session: Session, role: Role) -> list[Person]:
    query = select(Person).where(Person.role == role, Person.active.is_(True)).order_by(Person.code)
    return list(session.scalars(query))


def center_staff(session: Session, settings: Settings) -> Recipients:
    """The center's staff (reviewers, coordinators): the setting, or every active ``staff``."""
    if settings.center_staff:
        return _by_codes(session, settings.center_staff, "center_staff")
    return _with_email_check(_active_with_role(session, Role.staff), [], "center_staff")


def center_head(session: Session, settings: Settings) -> Recipients:
    """The head of the center: the setting, or the first active ``leader`` by code."""
    if settings.center_head:
        return _by_codes(session, [settings.center_head], "center_head")
    leaders = _active_with_role(session, Role.leader)[:1]
    problems = [] if leaders else ["center_head: no active leader"]
    return _with_email_check(leaders, problems, "center_head")


def report_recipients(session: Session, settings: Settings) -> tuple[Recipients, list[str]]:
    """Who receives the center reports: people (by code) and plain addresses from the setting."""
    if not settings.report_recipients:
        return _with_email_check(_active_with_role(session, Role.leader), [], "report_recipients"), []
    addresses = [entry for entry in settings.report_recipients if "@" in entry]
    codes = [entry for entry in settings.report_recipients if "@" not in entry]
    return _by_codes(session, codes, "report_recipients"), addresses


def firm_director(session: Session, firm: Firm) -> Recipients:
    """A firm's director (负责人), from the firm's ``director`` person code."""
    if not firm.director_code:
        return Recipients(people=[], problems=[f"firm {firm.code}: no director recorded"])
    return _by_codes(session, [firm.director_code], f"director of {firm.code}")
