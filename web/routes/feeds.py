"""``GET /api/v1/feeds/{secret}/duties.ics``: a person's desk duties for a calendar app, without a token.

The secret in the URL is the credential (calendar apps send no ``Authorization``): it is looked up by its
hash (``legalaid.roster.feeds``). An unknown and a revoked secret get the same 404, so the answer tells
nobody whether a guessed secret ever existed. ``legalaid roster feed PERSON`` prints the URL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from legalaid.casework.notices import business_today
from legalaid.roster.feeds import feed_calendar
from legalaid.roster.ics import ICS_MEDIA_TYPE
from web.problems import ApiProblem, responses
from web.state import AppRuntime

router = APIRouter(tags=["feeds"])
MEDIA_TYPE = f"{ICS_MEDIA_TYPE}; charset=utf-8"


@router.get(
    "/feeds/{secret}/duties.ics",
    summary="A person's desk duties as iCalendar (the URL's secret is the credential)",
    response_class=Response,
    responses={
        200: {
            "description": "RFC 5545 calendar",
            "content": {ICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **responses(404),
    },
)
def duties_feed(secret: Annotated[str, Path(max_length=128)], runtime: AppRuntime) -> Response:
    """The duties from a month back to three months ahead; removed ones as ``STATUS:CANCELLED``."""
    settings = runtime.settings
    with runtime.sessions() as session:
        content = feed_calendar(session, settings, secret, today=business_today(settings))
    if content is None:
        raise ApiProblem(404, "no such calendar feed")
    # A calendar app polls: let it and any proxy keep a copy for a few minutes, never share it.
    return Response(content, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})
