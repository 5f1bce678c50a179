"""``Idempotency-Key`` on every POST: a retry gets the first answer, and the work is not done again.

Keys belong to a token (two clients may both use ``1``). The first request under a key records it as
``pending`` in a transaction of its own, runs, and stores its answer; a later request with the same key:

- and the same method, path, query and body: the stored answer, with ``Idempotent-Replayed: true``;
- and anything else: 422, nothing done (the key was reused for another request: a client bug);
- while the first still runs: 409 with ``Retry-After``, nothing done. Not a wait: a waiting request would
  hold a server worker and a database connection for as long as the first one takes (an import, a report),
  and could not tell a slow first request from one whose process died. The retry, a second later, with the
  same key, gets the first answer. A ``pending`` record older than ``STALE_AFTER`` (its process died) is
  taken over by the next request.

A 5xx answer is not stored (the record is removed): the request did nothing, and a retry should do it.
The one gap: a process killed after the work committed and before the answer was stored leaves the
record ``pending``; the retry after ``STALE_AFTER`` runs the request again, and the domain's own keys
(outbox idempotency keys, upserts by case number) make that second run change nothing.

A POST without the header is 400; one without a live token is passed on, for the route to answer 401.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legalaid.models import IdempotencyRecord, utcnow
from legalaid.runtime import Runtime
from web.auth import bearer_token, caller_for
from web.problems import MEDIA_TYPE, problem_body

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
STALE_AFTER = timedelta(minutes=10)
PREFIX = "/api/v1/"


@dataclass(frozen=True)
class Stored:
    status: int
    content_type: str
    body: bytes


class Idempotency:
    def __init__(self, app: ASGIApp, *, runtime: Callable[[], Runtime]) -> None:
        self.app = app
        self._runtime = runtime  # the application's, built at start-up: asked for when a request comes

    @property
    def runtime(self) -> Runtime:
        return self._runtime()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        caller = await run_in_threadpool(caller_for, self.runtime, token) if token else None
        if caller is None:  # the route's own check answers 401 (or the path is unknown: 404)
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        key = headers.get(HEADER.lower().encode(), b"").decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            detail = (
                f"every POST needs an {HEADER} header (1-{MAX_KEY_LENGTH} characters), unique per request"
            )
            await _answer(send, Stored(400, MEDIA_TYPE, problem_body(400, detail)))
            return
        messages, body = await _read_body(receive)
        digest = _digest(scope, body)
        outcome = await run_in_threadpool(_claim, self.runtime, caller.token_id, key, digest)
        if isinstance(outcome, Stored):
            await _answer(send, outcome, replayed=True)
            return
        if outcome == "mismatch":
            detail = f"{HEADER} {key!r} was used for another request; use a new key for a new request"
            await _answer(send, Stored(422, MEDIA_TYPE, problem_body(422, detail)))
            return
        if outcome == "busy":
            detail = f"a request with {HEADER} {key!r} is still running; retry, with the same key, shortly"
            await _answer(send, Stored(409, MEDIA_TYPE, problem_body(409, detail)), retry_after=True)
            return
        assert isinstance(outcome, int)
        await self._run(scope, messages, receive, send, record_id=outcome)

    async def _run(
        self, scope: Scope, messages: list[Message], receive: Receive, send: Send, *, record_id: int
    ) -> None:
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        try:
            await self.app(scope, replay, capture)
        except BaseException:
            await run_in_threadpool(_forget, self.runtime, record_id)
            raise
        start = next(m for m in captured if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
        content_type = dict(start.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        if start["status"] >= 500:
            await run_in_threadpool(_forget, self.runtime, record_id)
        else:
            await run_in_threadpool(
                _store, self.runtime, record_id, Stored(start["status"], content_type, body)
            )
        for message in captured:
            await send(message)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """Every message of the request body (BodyLimit, outside, has bounded it), and the body."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")


def _digest(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\n")
    headers = dict(scope["headers"])
    digest.update(headers.get(b"content-type", b"").split(b";")[0] + b"\n")  # not the multipart boundary
    digest.update(_normalized_body(headers, body))
    return digest.hexdigest()


def _normalized_body(headers: dict[bytes, bytes], body: bytes) -> bytes:
    """The body, except that a multipart body is compared without its boundary: a client's retry of the
    same file picks a new random boundary, and that must still be the same request."""
    content_type = headers.get(b"content-type", b"")
    marker = b"boundary="
    if not content_type.startswith(b"multipart/") or marker not in content_type:
        return body
    boundary = content_type.split(marker, 1)[1].split(b";")[0].strip(b'"')
    return body.replace(boundary, b"")


def _claim(runtime: Runtime, token_id: int, key: str, digest: str) -> Stored | str | int:
    """The record's id for a first request; the stored answer; or ``mismatch`` or ``busy``."""
    now = utcnow()
    try:
        with runtime.transaction() as session:
            record = IdempotencyRecord(token_id=token_id, key=key, request_sha256=digest, created_at=now)
            session.add(record)
            session.flush()
            return record.id
    except IntegrityError:
        pass  # the key is taken: a retry, a reuse, or a duplicate still running
    with runtime.transaction() as session:
        found = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key
            )
        )
        if found is None:  # removed after a 5xx in the meantime: this request is the first again
            return _claim(runtime, token_id, key, digest)
        if found.request_sha256 != digest:
            return "mismatch"
        if found.status == "done":
            assert found.response_status is not None
            return Stored(found.response_status, found.response_type or "", found.response_body or b"")
        if now - found.created_at < STALE_AFTER:
            return "busy"
        # The process that took it died: take it over, unless another retry did so first.
        taken = session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == found.id, IdempotencyRecord.created_at == found.created_at)
            .values(created_at=now)
        )
        return found.id if taken.rowcount == 1 else "busy"  # type: ignore[attr-defined]


def _store(runtime: Runtime, record_id: int, answer: Stored) -> None:
    with runtime.transaction() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(
                status="done",
                response_status=answer.status,
                response_type=answer.content_type,
                response_body=answer.body,
                completed_at=utcnow(),
            )
        )


def _forget(runtime: Runtime, record_id: int) -> None:
    with runtime.transaction() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


async def _answer(send: Send, answer: Stored, *, replayed: bool = False, retry_after: bool = False) -> None:
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
