"""Run a tick's work once: claim it, keep its lease while the work runs, record the outcome.

``run_once`` is what every scheduled task wraps its work in (through ``tasks._runtime.scheduled_run``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Unpack

from sqlalchemy.orm import Session, sessionmaker

from legalaid.db import transaction
from legalaid.jobs.policy import DEFAULT_POLICY, TickPolicy
from legalaid.jobs.ticks import FAILED, Claimant, finish_run, renew, start_run
from legalaid.models import JobRun, utcnow

log = logging.getLogger(__name__)


class LeaseKeeper:
    """A thread that renews a running claim's lease every third of the lease while the work runs.

    It stops when told, when the claim is lost (the sweep handed the tick over: the work goes on, but only
    a success of this run will be recorded), or at ``policy.max_run`` after the start: a run cannot last
    longer under Celery's time limit, and one hung where no time limit applies must not hold its tick.
    """

    def __init__(self, sessions: sessionmaker[Session], run: JobRun, policy: TickPolicy) -> None:
        self._sessions = sessions
        self._run_id, self._attempt, self._key = run.id, run.attempts, run.key
        self._policy = policy
        self._until = time.monotonic() + policy.max_run.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"lease:{run.key}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _keep(self) -> None:
        interval = self._policy.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            if time.monotonic() >= self._until:
                log.warning(
                    "%s: still running after %s; its lease is left to expire", self._key, self._policy.max_run
                )
                return
            try:
                with transaction(self._sessions) as session:
                    kept = renew(
                        session, run_id=self._run_id, attempt=self._attempt, now=utcnow(), policy=self._policy
                    )
            except Exception as exc:  # the database may be restarting: try again at the next interval
                log.warning("%s: cannot renew the lease: %s", self._key, exc)
                continue
            if not kept:
                log.warning(
                    "%s: attempt %s lost its lease; the tick was handed over", self._key, self._attempt
                )
                return


@contextmanager
def run_once(
    sessions: sessionmaker[Session],
    *,
    job: str,
    scheduled_for: datetime,
    policy: TickPolicy = DEFAULT_POLICY,
    **claimant: Unpack[Claimant],
) -> Iterator[JobRun | None]:
    """Run the body once per tick: yields the claimed run, or None when there is nothing to do (the tick
    ran, runs elsewhere, is dead, or waits for its retry): then skip the body.

    The claim, and the outcome, are each committed in a transaction of their own, so a failure leaves a
    ``failed`` (or ``dead``) row with the error instead of nothing, and a killed worker a lease that expires.
    """
    with transaction(sessions) as session:
        run = start_run(session, job=job, scheduled_for=scheduled_for, policy=policy, **claimant)
    if run is None:
        yield None
        return
    with LeaseKeeper(sessions, run, policy):
        try:
            yield run
        except BaseException as exc:
            _record_failure(sessions, run, f"{type(exc).__name__}: {exc}", policy)
            raise
    with transaction(sessions) as session:
        finish_run(session, run_id=run.id, attempt=run.attempts, policy=policy)


def _record_failure(sessions: sessionmaker[Session], run: JobRun, error: str, policy: TickPolicy) -> None:
    try:
        with transaction(sessions) as session:
            status = finish_run(
                session, run_id=run.id, status=FAILED, error=error, attempt=run.attempts, policy=policy
            )
    except Exception:
        # Do not hide the run's own error; the lease expires and the sweep hands the tick over.
        log.exception("%s: cannot record the failure of attempt %s", run.key, run.attempts)
        return
    log.warning("%s: attempt %s failed (%s): %s", run.key, run.attempts, status, error)


def heartbeat(
    sessions: sessionmaker[Session],
    *,
    scheduled_for: datetime,
    job: str = "heartbeat",
    policy: TickPolicy = DEFAULT_POLICY,
    hold_seconds: float = 0.0,
    **claimant: Unpack[Claimant],
) -> bool:
    """The heartbeat job: record that the scheduler fired and a worker ran it; False if the tick already ran.

    It does no other work: its row in ``job_runs`` is the proof that scheduler, broker and worker are alive.
    ``hold_seconds`` keeps the claim that long, as a long job would (fault drills kill a worker mid-run).
    """
    with run_once(sessions, job=job, scheduled_for=scheduled_for, policy=policy, **claimant) as run:
        if run is not None and hold_seconds:
            time.sleep(hold_seconds)
        return run is not None
