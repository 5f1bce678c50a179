"""``import_file`` (and ``import_rows``, for rows a caller has in memory): read, check every row, then write
the whole file in one transaction or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from legalaid.errors import UserError
from legalaid.importing._batch import Batch, Kind
from legalaid.importing._checks import Refs, check_refs, check_unique
from legalaid.importing._columns import Layout, ParsedRow, map_headers, parse_rows
from legalaid.importing._errors import NO_COLUMN, ErrorLog
from legalaid.importing._header import header_index, other_kind, other_kind_message, skipped_note
from legalaid.importing._kinds import KINDS, REGISTRY
from legalaid.importing._progress import ProgressDisplay, Ticker, no_display
from legalaid.importing._reading import Sheet, read_records, tabulate
from legalaid.importing._result import ImportResult
from legalaid.importing._rows import Row, rows_sha256, rows_sheet
from legalaid.models import ImportRecord
from legalaid.runtime import Runtime

OnChanges = Callable[[Session, ImportResult], None]


def import_file(
    rt: Runtime,
    kind: str,
    path: Path,
    *,
    dry_run: bool = False,
    progress: ProgressDisplay | None = None,
    on_changes: OnChanges | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import one file of ``kind``: every row is checked first, and one bad row means nothing is written.

    Raises ImportFailed with every ``file:row:column: message``. ``dry_run`` checks and counts but writes
    nothing, not even the record in ``imports``. ``on_changes`` runs inside the transaction, before the
    commit, so that what it writes (notices in the outbox) commits with the import or not at all; it is
    not called in a dry run. ``progress`` is told the file's name and rows, and gives the ticker the
    checking and the writing advance (the command line's draws a bar); without it nothing is shown.
    ``name`` is the file's name in the problems and the result when ``path`` is not (an upload saved to a
    temporary file is named as uploaded).
    """
    handler = _handler(kind)
    path = Path(path)  # callers that hand over a str get the same messages
    data = _read_bytes(path)
    result = ImportResult(kind=kind, file=name or str(path), dry_run=dry_run)
    log = ErrorLog(result.file)
    sheet = _find_table(data, handler, log, result)
    sha256 = hashlib.sha256(data).hexdigest()
    display = (progress or no_display)(path.name, len(sheet.rows))
    return _import_sheet(rt, handler, sheet, log, result, sha256, display, on_changes)


def import_rows(
    rt: Runtime,
    kind: str,
    rows: Sequence[Row],
    *,
    source: str = "body",
    dry_run: bool = False,
    on_changes: OnChanges | None = None,
) -> ImportResult:
    """Import ``rows`` (objects keyed by the kind's column names) as ``import_file`` imports a file's: the
    same checks, all or nothing, the same result; only the reading differs (see _rows). ``source`` names
    them in the problems' lines and in ``imports`` (``body:2:date: …``: the second row)."""
    handler = _handler(kind)
    result = ImportResult(kind=kind, file=source, dry_run=dry_run)
    log = ErrorLog(source)
    sheet = rows_sheet(rows, log)
    display = no_display(source, len(sheet.rows))
    return _import_sheet(rt, handler, sheet, log, result, rows_sha256(rows), display, on_changes)


def _handler(kind: str) -> Kind:
    handler = REGISTRY.get(kind)
    if handler is None:
        raise UserError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    return handler


def _import_sheet(
    rt: Runtime,
    handler: Kind,
    sheet: Sheet,
    log: ErrorLog,
    result: ImportResult,
    sha256: str,
    display: AbstractContextManager[Ticker],
    on_changes: OnChanges | None,
) -> ImportResult:
    """Everything after the reading, the same for a file and for rows: the header, every row parsed and
    checked, then one transaction that writes them all (or, in a dry run, only counts)."""
    kind, dry_run = result.kind, result.dry_run
    layout = map_headers(sheet, handler.spec, log)
    result.rows = len(sheet.rows)
    with display as tick:
        tick.stage("checking", result.rows)
        rows = parse_rows(sheet, layout, log, tick)
        try:
            with rt.transaction() as session:
                if handler.appended and (earlier := _imported_before(session, kind, sha256)):
                    when = earlier.imported_at.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M")
                    result.skipped_reason = f"already imported on {when} (import {earlier.id}); nothing to do"
                    return result
                refs = Refs.load(session)
                _check(session, handler, rows, layout, refs, log)
                batch = Batch(handler.spec, layout, rows, refs, write=not dry_run, tick=tick, result=result)
                if dry_run:
                    handler.apply(session, batch)
                    return result
                _write(session, handler, batch, sha256, on_changes)
        except IntegrityError as exc:
            # Only a concurrent writer gets here: every row was checked against what was in the database.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise UserError(
                f"{result.file}: the database changed during the import ({reason}); run it again"
            ) from None
    return result


def _find_table(data: bytes, handler: Kind, log: ErrorLog, result: ImportResult) -> Sheet:
    """The file's table under its header row (found below a title if need be: the skip is noted in the
    result); a file of another kind is refused in one line naming it."""
    records = read_records(data, log)
    spec = handler.spec
    if (other := other_kind(records, spec, (kind.spec for kind in REGISTRY.values()))) is not None:
        other_spec, match = other
        raise log.fail(match.number, NO_COLUMN, other_kind_message(other_spec, match, spec, result.file))
    at = header_index(records, spec)
    sheet = tabulate(records, at, log)
    if (note := skipped_note(records, at)) is not None:
        result.notes.append(f"{result.file}: {note}")
    return sheet


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError:  # a NUL byte in the name
        raise UserError(f"{str(path)!r}: not a file name") from None


def _imported_before(session: Session, kind: str, sha256: str) -> ImportRecord | None:
    query = select(ImportRecord).where(ImportRecord.kind == kind, ImportRecord.sha256 == sha256)
    return session.scalars(query.order_by(ImportRecord.id).limit(1)).first()


def _check(
    session: Session, handler: Kind, rows: list[ParsedRow], layout: Layout, refs: Refs, log: ErrorLog
) -> None:
    check_refs(rows, layout, refs, log)
    check_unique(rows, handler.spec, layout, log)
    if handler.check is not None:
        handler.check(session, rows, layout, refs, log)
    log.raise_if_any()


def _write(session: Session, handler: Kind, batch: Batch, sha256: str, on_changes: OnChanges | None) -> None:
    result = batch.result
    record = ImportRecord(
        kind=result.kind, file_name=result.file[-500:], sha256=sha256, rows=result.rows, inserted=0, updated=0
    )
    session.add(record)
    session.flush()  # its id tags appended rows
    batch.import_id = result.import_id = record.id
    handler.apply(session, batch)
    record.inserted, record.updated = result.inserted, result.updated
    if on_changes is not None:
        on_changes(session, result)
