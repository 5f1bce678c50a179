"""Links in emails that record one step (``web_base_url`` + ``/act/<token>``), without a web framework.

A reminder digest's item carries a link for the step its rule waits for (``RULE_STEPS``): opening it shows
the case and one button, and only pressing the button changes anything (``press_case_step``), so a mail
scanner that follows links does nothing. A duty notice carries a link to ask for a swap
(``roster.requests.request_swap``). A token names one person and one action, is used once and expires
after ``action_link_days``; only its SHA-256 is stored (as for the API's tokens, ``legalaid.tokens``).

Refusals: a token that matches no stored hash (altered, or made up) is ``LinkNotFound`` (404); a used or
expired one ``LinkGone`` (410). Single use holds under two presses at once: the token is spent by one
``UPDATE … WHERE used_at IS NULL`` whose row count says which press won.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.importing import NOT_BEFORE, STEPS, out_of_order
from legalaid.models import ActionToken, Case, CaseEvent, Person
from legalaid.models.actions import CASE_STEP, SWAP

if TYPE_CHECKING:  # legalaid.reminders imports this module (its scan issues the links)
    from legalaid.reminders.digest import Digest

PREFIX = "act_"
PATH = "/act/"
# The step each reminder rule waits for: the case date the link's button sets. The center's own steps
# (review, assignment, the limitation date) are decided in the office, not from an email: no link.
RULE_STEPS = {
    "first_contact_due": "first_contact_on",
    "progress_stale": "last_progress_on",
    "hearing_soon": "next_hearing_on",
    "closure_due": "closure_submitted_on",
    "return_visit_due": "return_visit_on",
}
# Steps whose button asks for a date (default today); the others are done today.
DATED_STEPS = frozenset({"first_contact_on", "next_hearing_on"})
STEP_WORDS = {
    "zh_CN": {
        "applied_on": "申请",
        "decided_on": "审查决定",
        "assigned_on": "指派",
        "first_contact_on": "首次会见（签订委托协议）",
        "last_progress_on": "最近一次办理进展",
        "next_hearing_on": "下次开庭",
        "ended_on": "结案",
        "closure_submitted_on": "提交结案材料",
        "return_visit_on": "回访",
    },
    "en": {
        "applied_on": "the application",
        "decided_on": "the decision",
        "assigned_on": "the assignment",
        "first_contact_on": "the first contact",
        "last_progress_on": "the latest progress",
        "next_hearing_on": "the next hearing",
        "ended_on": "the end of the case",
        "closure_submitted_on": "the closure materials' submission",
        "return_visit_on": "the return visit",
    },
}


class LinkRefused(Exception):
    """A link that does nothing: ``status`` is the HTTP status its page answers with."""

    status = 404


class LinkNotFound(LinkRefused):
    """No stored token matches: altered, truncated or made up."""

    status = 404


class LinkGone(LinkRefused):
    """The token was used already, or has expired."""

    status = 410


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(settings: Settings, token: str) -> str:
    return settings.resolved_web_base_url + PATH + token


def _new_token() -> str:
    return PREFIX + secrets.token_urlsafe(24)


@dataclass(frozen=True)
class CaseLinkWanted:
    """One digest line that gets a link: for whom, which case, which rule (its step), and its deadline."""

    person_id: int
    case_id: int
    rule: str
    deadline: date


def issue_case_links(
    session: Session, settings: Settings, wanted: Iterable[CaseLinkWanted], *, now: datetime
) -> dict[CaseLinkWanted, str]:
    """A link for each wanted line whose rule has a step (``RULE_STEPS``), written in one multi-row INSERT
    in the caller's transaction: the URLs, by line."""
    expires = now + timedelta(days=settings.action_link_days)
    links: dict[CaseLinkWanted, str] = {}
    rows = []
    for want in wanted:
        step = RULE_STEPS.get(want.rule)
        if step is None or want in links:
            continue
        token = _new_token()
        links[want] = link_url(settings, token)
        rows.append(
            {
                "token_hash": token_hash(token),
                "kind": CASE_STEP,
                "person_id": want.person_id,
                "case_id": want.case_id,
                "step": step,
                "deadline": want.deadline,
                "created_at": now,
                "expires_at": expires,
            }
        )
    if rows:
        session.execute(insert(ActionToken), rows)
    return links


def issue_swap_link(
    session: Session, settings: Settings, *, person_id: int, on: date, slot: str, now: datetime
) -> str:
    """A link for ``person_id`` to ask for a swap of their duty on ``on`` in ``slot``."""
    token = _new_token()
    session.add(
        ActionToken(
            token_hash=token_hash(token),
            kind=SWAP,
            person_id=person_id,
            duty_on=on,
            duty_slot=slot,
            created_at=now,
            expires_at=now + timedelta(days=settings.action_link_days),
        )
    )
    return link_url(settings, token)


def open_link(session: Session, token: str, *, now: datetime) -> ActionToken:
    """The live token row for ``token``: LinkNotFound when none matches, LinkGone when used or expired.
    Reading changes nothing."""
    digest = token_hash(token)
    row = session.scalar(select(ActionToken).where(ActionToken.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise LinkNotFound(token)
    if row.used_at is not None or row.expires_at <= now:
        raise LinkGone(token)
    return row


def spend(session: Session, row: ActionToken, *, now: datetime) -> None:
    """Mark ``row`` used, once: a second press (or one racing this) is LinkGone."""
    spent = session.execute(
        update(ActionToken)
        .where(ActionToken.id == row.id, ActionToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkGone(str(row.id))
    row.used_at = now


@dataclass(frozen=True)
class CaseStepView:
    """What a case step's page shows: the case, masked as a digest shows it, the step and its deadline."""

    case_no: str
    applicant: str
    step: str
    deadline: date | None
    current: date | None  # the step's stored date (a hearing date already recorded)
    dated: bool  # whether the button asks for a date
    person: str  # the link's person, as ``CODE 姓名``


def case_step_view(session: Session, row: ActionToken) -> CaseStepView:
    from legalaid.reminders.digest import shorten_name  # at call time: the reminders package imports us

    case = session.get(Case, row.case_id)
    person = session.get(Person, row.person_id)
    if case is None or person is None or row.step is None:
        raise LinkNotFound(str(row.id))
    return CaseStepView(
        case_no=case.case_no,
        applicant=shorten_name(case.applicant),
        step=row.step,
        deadline=row.deadline,
        current=getattr(case, row.step),
        dated=row.step in DATED_STEPS,
        person=f"{person.code} {person.name}",
    )


def press_case_step(
    session: Session, token: str, *, on: date | None, today: date, now: datetime, locale: str = "en"
) -> CaseStepView:
    """The button: set the link's step of its case to ``on`` (the dated steps; default and others: today),
    recorded as done by the link's person, and spend the token. A refused date (``UserError``, one line)
    leaves the token usable and changes nothing."""
    row = open_link(session, token, now=now)
    if row.kind != CASE_STEP or row.step is None:
        raise LinkNotFound(token)
    view = case_step_view(session, row)
    person = session.get(Person, row.person_id)
    by = f"by link {person.code}" if person is not None else "by link"
    set_case_step(session, case_no=view.case_no, step=row.step, on=on or today, by=by, locale=locale)
    spend(session, row, now=now)
    return case_step_view(session, row)


def set_case_step(
    session: Session, *, case_no: str, step: str, on: date, by: str, locale: str = "en"
) -> Case:
    """Set the dated step ``step`` of case ``case_no`` to ``on``, logged as a case event saying ``by`` whom,
    with the import's order of steps (``importing.out_of_order``): a date before the assignment, or after a
    later stored step, is refused with one line and nothing changes."""
    if step not in (*STEPS, *NOT_BEFORE, "next_hearing_on"):
        raise UserError(f"{step}: not a step of a case")
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        raise UserError(f"case {case_no}: no such case")
    dates = {name: getattr(case, name) for name in (*STEPS, *NOT_BEFORE)} | {step: on}
    words = STEP_WORDS["zh_CN" if locale == "zh_CN" else "en"]
    for wrong in out_of_order(dates):
        if wrong.late == step:
            other, when, relation = wrong.early, wrong.early_on, ("早于", "before")
        elif wrong.early == step:
            other, when, relation = wrong.late, wrong.late_on, ("晚于", "after")
        else:
            continue  # two stored steps out of order: not this change's doing
        if locale == "zh_CN":
            raise UserError(f"{on.isoformat()}{relation[0]}{words[other]}日期（{when.isoformat()}），未登记")
        raise UserError(
            f"{on.isoformat()} is {relation[1]} {words[other]} ({when.isoformat()}): not recorded"
        )
    previous = getattr(case, step)
    setattr(case, step, on)
    detail = by if previous is None else f"{by} (was {previous.isoformat()})"
    session.add(CaseEvent(case_id=case.id, kind=step, on=on, detail=detail))
    session.flush()
    return case


def digest_links(
    session: Session, settings: Settings, digests: Iterable[Digest], *, now: datetime
) -> dict[tuple[str, str], str]:
    """The links of a batch of digests, by (person code, item key): one per line whose rule has a step
    (an undeliverable report carries none: it is for someone to pass on, not to act on)."""
    wanted: dict[tuple[str, str], CaseLinkWanted] = {}
    for digest in digests:
        for item, _role in digest.items:
            if item.rule in RULE_STEPS:
                want = CaseLinkWanted(digest.person.id, item.case_id, item.rule, item.deadline)
                wanted[(digest.person.code, item.key)] = want
    urls = issue_case_links(session, settings, wanted.values(), now=now)
    return {key: urls[want] for key, want in wanted.items()}
