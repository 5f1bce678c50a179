"""``legalaid demo``: write the sample center as import files, import them, and count what the database holds.

The demo is a list of steps, ``STEPS``, run in order on one ``DemoContext``. A later feature that has
something to show on the demo center (reminders, reports, roster notices) appends its step here:

    STEPS.append(DemoStep("reminders", run_reminders, "the reminders of the demo date"))

A step reads the context (runtime, generated data, files, import results) and returns figures for the
summary (counted from the database, like the rest of it), or None.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, inspect, select

from cli.demo.data import CENTER_HEAD, DEFAULT_AS_OF, STAFF, DemoData, Row, generate
from cli.demo.reports import demo_report
from cli.demo.roster import demo_roster
from cli.demo.summary import Figures, summarize
from legalaid import migrate
from legalaid.calendar import WorkCalendar
from legalaid.casework import NoticeReport, import_hook
from legalaid.config import Settings, load_settings, mask_url
from legalaid.db import make_engine
from legalaid.errors import UserError
from legalaid.importing import (
    ImportFailed,
    ImportResult,
    import_file,
    kind_headers,
    kind_vocabularies,
    write_csv,
    write_xlsx,
)
from legalaid.mail import Outcome, flush, make_transport
from legalaid.models import Base, Case, Consultation, DutyShift, Firm, Person
from legalaid.models.enums import LABELS_ZH
from legalaid.paths import StagedFiles
from legalaid.reminders import run_reminders
from legalaid.runtime import Runtime, build_runtime

DEMO_FOLDER = "demo"  # under the data dir: the files the demo imported, for users to open and copy
SETTINGS_FILE = "legalaid.toml"
SEED_YEAR_START_MONTH = 11  # the seed's statistical year starts on 1 November


@dataclass(frozen=True)
class DemoFile:
    kind: str
    name: str
    encoding: str | None  # a CSV's encoding; None for XLSX


# Firms, people and cases as CSV the way Excel on a Chinese Windows saves it (UTF-8 with a BOM, or the
# older GB18030 "CSV" for people), consultations and the roster as workbooks; all with Chinese headers
# and vocabulary, to show that the importer takes what the center already keeps.
FILES: tuple[DemoFile, ...] = (
    DemoFile("firms", "firms.csv", "utf-8-sig"),
    DemoFile("people", "people.csv", "gb18030"),
    DemoFile("cases", "cases.csv", "utf-8-sig"),
    DemoFile("consultations", "consultations.xlsx", None),
    DemoFile("roster", "roster.xlsx", None),
    DemoFile("leave", "leave.csv", "utf-8-sig"),
)


class DemoRefused(UserError):
    """The data dir already holds a center: the demo will not mix into it."""

    exit_code = 1


@dataclass
class DemoContext:
    """What the steps share: the runtime on the demo's database, the rows, the files and what was done."""

    rt: Runtime
    data: DemoData
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    imports: list[ImportResult] = field(default_factory=list)
    notices: list[NoticeReport] = field(default_factory=list)
    figures: dict[str, Figures] = field(default_factory=dict)  # step name → what it reports


StepRun = Callable[[DemoContext], Mapping[str, Any] | None]


class DemoStep(NamedTuple):
    """One step of the demo: its name (``--json`` reports its figures under it), what runs, what it does."""

    name: str
    run: StepRun
    about: str


@dataclass(frozen=True)
class DemoReport:
    """What the demo built and where, with the database's figures."""

    data_dir: Path
    database: str  # the URL, password masked
    as_of: date
    folder: Path
    files: dict[str, Path]
    imports: list[str]  # one summary line per file
    summary: Figures
    steps: dict[str, Figures]
    scenarios: dict[str, str]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.data_dir),
            "database": self.database,
            "as_of": self.as_of.isoformat(),
            "folder": str(self.folder),
            "files": {kind: str(path) for kind, path in self.files.items()},
            "imports": self.imports,
            **self.summary,
            "steps": self.steps,
            "scenarios": self.scenarios,
            "seconds": round(self.seconds, 2),
        }


def demo_settings(data_dir: Path | None = None) -> Settings:
    """The effective settings, in ``data_dir`` when given, with the seed center's statistical year."""
    overrides: dict[str, Any] = {"report_year_start_month": SEED_YEAR_START_MONTH}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return load_settings(**overrides)


def run_demo(
    settings: Settings,
    *,
    as_of: date = DEFAULT_AS_OF,
    force: bool = False,
    steps: Sequence[DemoStep] | None = None,
) -> DemoReport:
    """Build the demo center in the settings' data dir and return its figures, counted from the database.

    Refuses (DemoRefused) when the database already holds data; ``force`` first removes the embedded
    database and its folders (never another database: that one the user must empty).
    """
    started = time.perf_counter()
    prepare_data_dir(settings, force=force)
    # The center's own calendar: what its overrides file says about a day holds for the demo too.
    data = generate(as_of, working_day=WorkCalendar.from_settings(settings).is_working_day)
    rt = build_runtime(settings)
    try:
        context = DemoContext(rt=rt, data=data, folder=settings.data_dir / DEMO_FOLDER)
        for step in STEPS if steps is None else steps:
            figures = step.run(context)
            if figures is not None:
                context.figures[step.name] = dict(figures)
        with rt.sessions() as session:
            summary = summarize(session, data.years)
    finally:
        rt.dispose()
    return DemoReport(
        data_dir=settings.data_dir.resolve(),
        database=mask_url(settings.resolved_database_url),
        as_of=as_of,
        folder=context.folder.resolve(),
        files=context.files,
        imports=[result.summary() for result in context.imports],
        summary=summary,
        steps=context.figures,
        scenarios=data.scenarios,
        seconds=time.perf_counter() - started,
    )


# The data dir ----------------------------------------------------------------------------------------------

_HELD: tuple[tuple[str, type[Base]], ...] = (
    ("firms", Firm),
    ("people", Person),
    ("cases", Case),
    ("consultations", Consultation),
    ("roster shifts", DutyShift),
)


def held_data(settings: Settings) -> str | None:
    """What the configured database already holds (``6 firms, 40 people``), or None when it is empty."""
    if not settings.database_url and not (settings.data_dir / "legalaid.db").exists():
        return None  # do not create an embedded database just to look into it
    engine = make_engine(settings)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            counts = [
                (label, connection.scalar(select(func.count()).select_from(model)) or 0)
                for label, model in _HELD
                if model.__tablename__ in tables
            ]
    finally:
        engine.dispose()
    held = ", ".join(f"{count} {label}" for label, count in counts if count)
    return held or None


def prepare_data_dir(settings: Settings, *, force: bool) -> None:
    """Make sure the demo starts on an empty database; with ``force``, remove the old embedded one first."""
    held = held_data(settings)
    embedded = not settings.database_url
    where = str(settings.data_dir / "legalaid.db") if embedded else mask_url(settings.database_url)
    if held and not force:
        raise DemoRefused(
            f"{where} already holds data ({held}); `legalaid demo --force` replaces it, "
            "`legalaid demo --dir DIR` builds the demo elsewhere"
        )
    if not force:
        return
    if not embedded:
        if held:
            raise DemoRefused(
                f"--force replaces only the embedded SQLite database, and {where} is another one: "
                "empty it yourself, or build the demo elsewhere with --dir DIR"
            )
        return
    # Only what legalaid itself keeps in the data dir, so that a mistaken --dir loses nothing else.
    for name in ("legalaid.db", "legalaid.db-wal", "legalaid.db-shm", "legalaid.db-journal"):
        (settings.data_dir / name).unlink(missing_ok=True)
    for folder in (
        settings.broker_folder,
        settings.mail_dir,
        settings.documents_dir,
        settings.data_dir / DEMO_FOLDER,
    ):
        if folder.is_dir():
            shutil.rmtree(folder)


# The steps -------------------------------------------------------------------------------------------------


def upgrade_schema(context: DemoContext) -> None:
    migrate.upgrade(context.rt.engine)


def write_files(context: DemoContext) -> Figures:
    """The import files in ``<data_dir>/demo`` (Chinese headers and values), and the demo's settings file."""
    context.folder.mkdir(parents=True, exist_ok=True)
    for demo_file in FILES:
        headers, rows = written(demo_file.kind, context.data.rows(demo_file.kind))
        path = context.folder / demo_file.name
        if demo_file.encoding is None:
            write_xlsx(path, headers, rows)
        else:
            write_csv(path, headers, rows, encoding=demo_file.encoding)
        context.files[demo_file.kind] = path.resolve()
    settings_path = context.folder / SETTINGS_FILE
    settings_path.write_text(settings_file(context.rt.settings), encoding="utf-8")
    context.files["settings"] = settings_path.resolve()
    return {"folder": str(context.folder.resolve()), "files": len(context.files)}


def import_files(context: DemoContext) -> Figures:
    """Import the files in order, as ``legalaid import`` would, notices of recent steps included.

    The notices go to the outbox only when mail is not sent over SMTP: the demo's addresses are made up.
    """
    settings = context.rt.settings
    for demo_file in FILES:
        path = context.files[demo_file.kind]
        hook = None
        try:
            # The notices' letters are put in the documents folder once each import has committed.
            with StagedFiles() as staged:
                if settings.mail_transport != "smtp":
                    hook = import_hook(
                        settings, today=context.data.as_of, reports=context.notices, staged=staged
                    )
                result = import_file(context.rt, demo_file.kind, path, on_changes=hook)
        except ImportFailed as exc:  # a bug of the demo or the importer, not the user's
            raise UserError(f"the demo's own {path.name} did not import: {exc}") from None
        context.imports.append(result)
    return {
        "rows": sum(result.rows for result in context.imports),
        "notices": hook is not None,
        "notice_problems": [line for report in context.notices for line in report.problems],
    }


def deliver_mail(context: DemoContext) -> Figures:
    """With the embedded ``file`` transport, write the queued notices as .eml files now, in this process.

    The user then finds the assignment notices, Word documents attached, in ``<data_dir>/mail`` without
    starting a worker. Over SMTP nothing was queued (the addresses are made up); on ``console`` the
    messages wait for ``legalaid mail flush`` rather than flooding the demo's summary.
    """
    settings = context.rt.settings
    if settings.mail_transport != "file":
        return {"delivered": 0, "folder": None}
    outcomes = flush(context.rt, transport=make_transport(settings))
    return {"delivered": outcomes[Outcome.SENT], "folder": str(settings.mail_dir)}


def demo_reminders(context: DemoContext) -> Figures:
    """The follow-up scan of the demo date: its digests are queued here and delivered by the mail step."""
    with context.rt.transaction() as session:
        report = run_reminders(session, context.rt.settings, as_of=context.data.as_of)
    return {
        "items": len(report.lines),
        "digests": dict(report.digests),
        "rules": sorted({line["rule"] for line in report.rows}),
        "problems": report.problems,
    }


STEPS: list[DemoStep] = [
    DemoStep("schema", upgrade_schema, "create or upgrade the database schema"),
    DemoStep("files", write_files, "write the import files and the demo's settings to <data_dir>/demo"),
    DemoStep("import", import_files, "import them: firms, people, cases, consultations, roster, leave"),
    DemoStep("reminders", demo_reminders, "the reminders and escalations due on the demo date, as digests"),
    DemoStep("mail", deliver_mail, "deliver the notices the import queued as .eml files (file transport)"),
    DemoStep("roster", demo_roster, "draw the desk's rota for the next month, check it, send the notices"),
    DemoStep("report", demo_report, "the annual report of the demo's statistical year in <data_dir>/reports"),
    # Later features append here: reminders, reports, roster notices on the demo center.
]


# The files -------------------------------------------------------------------------------------------------


def written(kind: str, rows: Sequence[Row]) -> tuple[list[str], list[dict[str, object]]]:
    """The Chinese headers of ``kind``, and the rows as a Chinese user types them (民事, 农民工、残疾人)."""
    english, chinese = kind_headers(kind), kind_headers(kind, chinese=True)
    header = dict(zip(english, chinese, strict=True))
    # The columns whose values are written as their Chinese labels.
    vocabularies = kind_vocabularies(kind)
    return chinese, [
        {header[name]: _written(value, vocabularies.get(name)) for name, value in row.items()} for row in rows
    ]


def _written(value: object, vocabulary: type[StrEnum] | None) -> object:
    if isinstance(value, bool):
        return "是" if value else "否"
    if vocabulary is None or value is None:
        return value
    if isinstance(value, list):
        return "、".join(_label(vocabulary, item) for item in value)
    return _label(vocabulary, value)


def _label(vocabulary: type[StrEnum], value: object) -> str:
    try:
        return LABELS_ZH[vocabulary(str(value))]
    except ValueError:
        return str(value)  # an intake that is a firm code


def settings_file(settings: Settings) -> str:
    """A ``legalaid.toml`` for the demo center: ``LEGALAID_CONFIG=<it>`` makes every command see it."""
    lines = [
        "# The demo center's settings, written by `legalaid demo`. Use them with",
        f"#   export LEGALAID_CONFIG={settings.data_dir.resolve() / DEMO_FOLDER / SETTINGS_FILE}",
        "[legalaid]",
        f"data_dir = {json.dumps(str(settings.data_dir.resolve()), ensure_ascii=False)}",
    ]
    # The URLs the demo was built with, so that the commands run with LEGALAID_CONFIG see the same database
    # and broker; one with a password is left to the environment (a settings file is no place for it).
    for name, url in (("database_url", settings.database_url), ("broker_url", settings.broker_url)):
        if url and mask_url(url) == url:
            lines.append(f"{name} = {json.dumps(url)}")
    lines += [
        "# The seed center's statistical year runs from 1 November to 31 October.",
        f"report_year_start_month = {SEED_YEAR_START_MONTH}",
        "# The demo's addresses are made up (@example.cn): mail goes to .eml files under data_dir/mail.",
        'mail_transport = "file"',
        f"center_head = {json.dumps(CENTER_HEAD)}",
        f"center_staff = {json.dumps(list(STAFF))}",
        "",
    ]
    return "\n".join(lines)
