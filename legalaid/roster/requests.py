"""Swaps asked for from a duty notice's link: recorded as pending, approved (or refused) by the coordinator.

``request_swap`` is what the link's form does: the same validation as ``legalaid roster swap`` (a dry run
of ``swap.swap``), then a pending ``SwapRequest``; the duty stays where it is until the coordinator
decides. ``approve_swap_request`` (the console's roster page calls it) makes the swap as the command line
makes it, recorded as asked by the lawyer, with everyone whose duty moved told at once;
``refuse_swap_request`` closes it without a change.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.actions import LinkNotFound, open_link, spend
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import Person, SwapRequest
from legalaid.models.actions import APPROVED, PENDING, REFUSED, SWAP
from legalaid.roster.store import person_by_code
from legalaid.roster.swap import ChangeResult, swap


def colleagues(session: Session, person_id: int) -> list[Person]:
    """Who a swap can go to: the active desk pool but the person asking, by code."""
    return list(
        session.scalars(
            select(Person)
            .where(Person.active.is_(True), Person.desk_pool.is_(True), Person.id != person_id)
            .order_by(Person.code)
        )
    )


def request_swap(
    session: Session,
    settings: Settings,
    token: str,
    *,
    to_code: str,
    reason: str | None,
    today: date,
    now: datetime,
) -> SwapRequest:
    """The swap link's form: check the swap as the command line would (one line when refused, the token
    still usable), record it as pending and spend the token."""
    row = open_link(session, token, now=now)
    giver = session.get(Person, row.person_id)
    if row.kind != SWAP or row.duty_on is None or row.duty_slot is None or giver is None:
        raise LinkNotFound(token)
    if row.duty_on < today:
        raise UserError(f"{row.duty_on}: the duty has passed")
    taker = person_by_code(session, to_code, argument="TO_PERSON")
    request = SwapRequest(
        on=row.duty_on,
        slot=row.duty_slot,
        from_person_id=giver.id,
        to_person_id=taker.id,
        reason=(reason or "").strip() or None,
        status=PENDING,
        created_at=now,
    )
    _swap(session, settings, request, giver, taker, today=today, dry_run=True)
    session.add(request)
    spend(session, row, now=now)
    session.flush()
    return request


def pending_swap_requests(session: Session) -> list[SwapRequest]:
    """The requests waiting for the coordinator, oldest duty first."""
    query = select(SwapRequest).where(SwapRequest.status == PENDING)
    return list(session.scalars(query.order_by(SwapRequest.on, SwapRequest.id)))


def _pending(session: Session, request_id: int) -> SwapRequest:
    request = session.get(SwapRequest, request_id)
    if request is None:
        raise UserError(f"swap request {request_id}: no such request")
    if request.status != PENDING:
        raise UserError(f"swap request {request_id} is {request.status} already")
    return request


def approve_swap_request(
    session: Session,
    settings: Settings,
    *,
    request_id: int,
    approved_by: str,
    today: date,
    now: datetime,
) -> ChangeResult:
    """Make the requested swap (validated again: the roster may have moved since), recorded as asked by
    the lawyer with the reason given, and close the request as approved by ``approved_by`` (a user or
    person code). A refusal is one line and changes nothing."""
    request = _pending(session, request_id)
    giver = session.get(Person, request.from_person_id)
    taker = session.get(Person, request.to_person_id)
    if giver is None or taker is None:
        raise UserError(f"swap request {request_id}: a person of it no longer exists")
    result = _swap(session, settings, request, giver, taker, today=today)
    request.status, request.decided_by, request.decided_at = APPROVED, approved_by, now
    request.roster_request_id = result.request_id
    session.flush()
    return result


def _swap(
    session: Session,
    settings: Settings,
    request: SwapRequest,
    giver: Person,
    taker: Person,
    *,
    today: date,
    dry_run: bool = False,
) -> ChangeResult:
    """The swap ``request`` asks for, through ``roster swap``'s checks, as asked by the giver: tried (dry
    run) when the lawyer asks, so that a refusal leaves the token usable, and made when approved."""
    return swap(
        session, settings, on=request.on, slot=request.slot, from_code=giver.code, to_code=taker.code,
        requested_by=giver.code, reason=request.reason, today=today, dry_run=dry_run,
    )  # fmt: skip


def refuse_swap_request(session: Session, *, request_id: int, refused_by: str, now: datetime) -> SwapRequest:
    """Close a pending request without a change."""
    request = _pending(session, request_id)
    request.status, request.decided_by, request.decided_at = REFUSED, refused_by, now
    session.flush()
    return request
