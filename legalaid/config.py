"""One typed Settings object: environment ``LEGALAID_*``, an optional ``legalaid.toml``, embedded defaults.

Objects are built from a Settings and passed in; nothing deeper in the code reads the environment.
Precedence, highest first: constructor arguments, environment, ``legalaid.toml``, defaults.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from legalaid.errors import ConfigError
from legalaid.resources import templates_folder_problem

CONFIG_FILE_ENV = "LEGALAID_CONFIG"
DEFAULT_CONFIG_FILE = "legalaid.toml"
MASK = "********"
# Secrets that must never come from a config file that may be committed or shared.
SECRET_FIELDS = frozenset({"smtp_password", "web_secret_key"})
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "password", "secret", "xxx", "todo"})

# scheme://user:password@host: the password is everything between the first ":" after "//" and "@".
_URL_PASSWORD = re.compile(r"^([a-zA-Z][\w+.-]*://[^:/@]*:)[^@]*@")

CommaList = Annotated[list[str], NoDecode]

DOCUMENT_NUMBER_FORMAT = "{prefix}法援{code}〔{year}〕{serial}号"
_NUMBER_FIELDS = {"prefix": "X", "code": "指", "year": 2012, "serial": 35}


def document_number_format_problem(value: str) -> str | None:
    """Why ``value`` cannot number documents (None when it can): it must name {code}, {year} and {serial}
    (or two kinds, or two years, would print the same number) and nothing else."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        value.format(**_NUMBER_FIELDS)
    except KeyError as exc:
        known = "{prefix} {code} {year} {serial}"
        return f"{value!r}: unknown placeholder {{{exc.args[0]}}} (known: {known})"
    except (ValueError, IndexError, AttributeError) as exc:
        return f"{value!r} is not a number format like {DOCUMENT_NUMBER_FORMAT!r} ({exc})"
    if missing := [f"{{{n}}}" for n in ("code", "year", "serial") if n not in names]:
        return f"{value!r} lacks {', '.join(missing)} (placeholders: {{prefix}} {{code}} {{year}} {{serial}})"
    return None


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``legalaid.toml`` (or the file ``LEGALAID_CONFIG`` names); refuses secrets in it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: not valid TOML: {exc}") from None
        section = data.get("legalaid", data)
        for name in SECRET_FIELDS & set(section):
            raise ConfigError(
                f"{self.path}: '{name}' may not be set in a config file; "
                f"use the environment variable LEGALAID_{name.upper()} or LEGALAID_{name.upper()}_FILE"
            )
        return dict(section)


class Settings(BaseSettings):
    """Every setting of the service; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="LEGALAID_", extra="forbid", validate_default=True)

    data_dir: Path = Path("./var")
    database_url: str = ""
    broker_url: str = ""
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh_CN", "en"] = "zh_CN"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    mail_transport: Literal["file", "smtp", "console"] = "file"
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    mail_from: str = ""
    smtp_timeout: float = Field(default=30.0, gt=0)
    smtp_ca_file: Path | None = None  # a private CA's certificates, for a center's own mail server
    # Waits between delivery attempts live in the outbox row (next attempt time), never in the broker.
    mail_retry_base_seconds: float = Field(default=60.0, gt=0)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0)
    mail_retry_horizon_hours: float = Field(default=24.0, gt=0)
    # A claimed message whose worker died is retried after the lease; one the broker lost, after requeue.
    mail_lease_seconds: float = Field(default=300.0, gt=0)
    mail_requeue_after_seconds: float = Field(default=600.0, gt=0)

    center_name: str = "XX区法律援助中心"
    document_number_prefix: str = Field(default="X", max_length=10)
    # The document numbers (文号): {prefix} the setting above, {code} the register (决/不/指), {year} the
    # year of issue, {serial} the number in that register and year (GB/T 9704 §7.2.4: no 第, no zeros).
    document_number_format: str = Field(default=DOCUMENT_NUMBER_FORMAT, max_length=100)
    # Assignments and decisions older than this many days are history (a first import of old cases),
    # not news: no notice is sent for them.
    notice_window_days: int = Field(default=14, ge=0, le=366)

    center_staff: CommaList = Field(default_factory=list)
    center_head: str = ""
    report_recipients: CommaList = Field(default_factory=list)
    report_year_start_month: int = Field(default=1, ge=1, le=12)
    # The scheduled reports go out on this working day after a quarter's / a statistical year's last day
    # (the day itself not counted): the 5th and the 10th by default.
    report_quarter_working_days: int = Field(default=5, ge=1, le=60)
    report_year_working_days: int = Field(default=10, ge=1, le=60)

    roster_slots: CommaList = Field(default_factory=lambda: ["day"])
    roster_people_per_slot: int = Field(default=1, ge=1, le=10)
    roster_max_consecutive: int = Field(default=1, ge=1, le=31)
    roster_weekdays: CommaList = Field(default_factory=list)
    # The arbitration desk (劳动仲裁委法律援助咨询点): its name, address and the hours of each slot
    # (HH:MM-HH:MM) go into the duty notices, the .ics events and the posted 值班安排表.
    roster_desk_name: str = "劳动人事争议仲裁委员会法律援助咨询点"
    roster_desk_address: str = "XX区劳动人事争议仲裁委员会一楼接待大厅"
    roster_hours_day: str = "09:00-17:00"
    roster_hours_am: str = "09:00-12:00"
    roster_hours_pm: str = "13:30-17:00"
    # Day-before notices go out from this hour (center time) on the last working day before a duty; the
    # hourly schedule entry sends nothing before it.
    roster_notice_hour: int = Field(default=16, ge=0, le=23)
    # How many days ahead the daily roster check looks for problems to alert the coordinator about.
    roster_alert_days: int = Field(default=14, ge=1, le=92)
    # How far back the rotation replays who did what, so that a new month continues fairly.
    roster_history_days: int = Field(default=365, ge=0, le=3660)

    calendar_overrides_file: Path | None = None
    # The center's own templates: a folder laid out like the shipped templates/ (docx/<locale>/*.docx,
    # email/<locale>/*), used instead of them by every process (`legalaid templates export` starts one).
    templates_dir: Path | None = None
    # Follow-up reminders (legalaid/reminders): a rules file whose keys replace those of the shipped
    # legalaid/reminders/rules.toml, rule by rule; and how many days back a threshold that was not sent
    # (it fell on a holiday, the scan was down) is still sent. Older ones are history: a first import of
    # old cases must not mail a year of stale deadlines.
    reminder_rules_file: Path | None = None
    reminder_lookback_days: int = Field(default=14, ge=1, le=90)
    # How long a link in a reminder digest or a duty notice (``/act/<token>``) stays usable.
    action_link_days: int = Field(default=30, ge=1, le=365)
    schedule_file: Path | None = None
    leader_lock_ttl: float = Field(default=30.0, gt=0)
    scheduler_poll_seconds: float = Field(default=5.0, gt=0)
    task_soft_time_limit: int = Field(default=300, ge=1)
    task_time_limit: int = Field(default=360, ge=1)
    # Scheduled job ticks (legalaid.jobs): a running tick's lease is renewed while its worker lives, so a
    # killed worker's tick is handed over a lease later; a tick whose message the broker lost, after requeue.
    # A tick that raised is tried again after retry_base, doubling, until max_attempts; then it is dead.
    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_requeue_after_seconds: float = Field(default=300.0, gt=0)
    job_retry_base_seconds: float = Field(default=60.0, gt=0)
    job_max_attempts: int = Field(default=5, ge=1, le=100)
    # For fault drills and tests: the heartbeat holds its claim this long, as a long job would.
    heartbeat_hold_seconds: float = Field(default=0.0, ge=0, le=3600)
    # The HTTP API (web/): where `legalaid web` listens, the address people use (links in emails; behind a
    # reverse proxy, the proxy's https:// address), and the largest request body it reads.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=1, le=65535)
    web_base_url: str = ""
    web_max_upload_mb: float = Field(default=10.0, gt=0, le=1024)
    # Requests a `legalaid web` process works on at once (its threads): Python runs one of them at a time,
    # so a few overlap the database's answers and more only take turns, stretching every answer (bench/
    # bench_api.py: 4 threads against 40 gave 1.3× the reads a second and half the p99). More load wants
    # more processes, not threads.
    web_threads: int = Field(default=4, ge=1, le=256)
    # The web console: how long a sign-in lasts, and the key its session cookies are signed with (a
    # secret: the environment or a file only; unset, a random key kept in data_dir/web_secret_key).
    web_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    web_secret_key: SecretStr | None = None
    web_secret_key_file: Path | None = None

    _split = field_validator(
        "center_staff", "report_recipients", "roster_slots", "roster_weekdays", mode="before"
    )(_split_commas)

    @field_validator("templates_dir")
    @classmethod
    def _templates_folder(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if problem := templates_folder_problem(value):
            raise ValueError(problem)
        return value.resolve()

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        return normalized_database_url(value) if value else value

    @field_validator("broker_url")
    @classmethod
    def _supported_broker(cls, value: str) -> str:
        if value and (problem := broker_url_problem(value)):
            raise ValueError(problem)
        return value

    @field_validator("document_number_format")
    @classmethod
    def _valid_number_format(cls, value: str) -> str:
        if problem := document_number_format_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("roster_slots")
    @classmethod
    def _valid_slots(cls, value: list[str]) -> list[str]:
        if value not in (["day"], ["am", "pm"]):
            raise ValueError("must be 'day' or 'am,pm'")
        return value

    @field_validator("roster_hours_day", "roster_hours_am", "roster_hours_pm")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        match = re.fullmatch(r"\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*", value)
        if not match or match.group(1, 2) >= match.group(3, 4):
            raise ValueError(f"{value!r} is not opening hours like 09:00-12:00")
        return "{}:{}-{}:{}".format(*match.groups())

    @field_validator("roster_weekdays")
    @classmethod
    def _valid_weekdays(cls, value: list[str]) -> list[str]:
        names = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        lowered = [v.lower()[:3] for v in value]
        if bad := [v for v in lowered if v not in names]:
            raise ValueError(f"unknown weekday {bad[0]!r} (use mon,tue,…)")
        return lowered

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        if self.smtp_password is None and self.smtp_password_file is not None:
            self.smtp_password = _secret_file("smtp_password_file", self.smtp_password_file)
        if self.smtp_password is not None:
            if self.smtp_password.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError("smtp_password is a placeholder; set the real password")
        if self.web_secret_key is None and self.web_secret_key_file is not None:
            self.web_secret_key = _secret_file("web_secret_key_file", self.web_secret_key_file)
        if self.web_secret_key is not None and len(self.web_secret_key.get_secret_value().strip()) < 32:
            raise ValueError("web_secret_key is too short; use at least 32 random characters")
        if self.task_time_limit <= self.task_soft_time_limit:
            raise ValueError("task_time_limit must be greater than task_soft_time_limit")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, _config_path()))

    # Derived values -----------------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'legalaid.db').resolve()}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or "filesystem://"

    @property
    def broker_folder(self) -> Path:
        return (self.data_dir / "broker").resolve()

    @property
    def mail_dir(self) -> Path:
        return (self.data_dir / "mail").resolve()

    @property
    def documents_dir(self) -> Path:
        return (self.data_dir / "documents").resolve()

    @property
    def resolved_web_base_url(self) -> str:
        """The API's address for people (no trailing slash): ``web_base_url``, or where it listens."""
        return (self.web_base_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def uses_redis(self) -> bool:
        return self.resolved_broker_url.startswith(("redis://", "rediss://"))

    def masked(self) -> dict[str, Any]:
        """The effective settings with every secret masked: what ``legalaid config`` prints."""
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = MASK
            elif isinstance(value, Path):
                value = str(value)
            values[name] = value
        values["database_url"] = mask_url(self.resolved_database_url)
        values["broker_url"] = mask_url(self.resolved_broker_url)
        return values


DATABASE_FORMS = (
    "sqlite:///PATH, or postgresql://USER@HOST:5432/DB (postgres:// and postgresql+psycopg:// too)"
)
BROKER_FORMS = "redis://HOST:6379/0 (rediss:// with TLS), or nothing for the embedded filesystem:// broker"
# The database kinds the service runs on (its SQL branches on these two), each with its installed driver.
_DATABASE_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def _secret_file(field: str, path: Path) -> SecretStr:
    """The secret a ``*_file`` setting names (a Docker secret), stripped; one line naming ``field`` when
    the file cannot be read."""
    try:
        return SecretStr(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ValueError(f"{field}: cannot read {path}: {exc}") from None


def normalized_database_url(url: str) -> str:
    """``url`` with the installed driver named (``postgres://`` and ``postgresql://`` become
    ``postgresql+psycopg://``, the psycopg 3 this package installs; SQLAlchemy would look for psycopg2); a
    URL of another kind, or none at all, raises ValueError with one line saying what is wrong and which forms
    are accepted. A PostgreSQL URL without a host (``postgresql:///legalaid``) is the local socket."""
    scheme, separator, rest = url.partition("://")
    driver = _DATABASE_DRIVERS.get(scheme.lower()) if separator else None
    if driver is None:
        if not separator:
            raise ValueError(f"{mask_url(url)!r} is not a database URL; use {DATABASE_FORMS}")
        raise ValueError(f"{scheme}:// is not a database this service runs on; use {DATABASE_FORMS}")
    if driver == "sqlite" and not rest.startswith("/"):
        raise ValueError(f"{mask_url(url)!r} names no database file; use {DATABASE_FORMS}")
    return f"{driver}://{rest}"


def broker_url_problem(url: str) -> str | None:
    """What is wrong with a broker URL, in one line, or None: Redis (``redis://``, ``rediss://``) with a
    host, a port number and a database number, or the embedded ``filesystem://``."""
    if url == "filesystem://":
        return None
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("redis", "rediss"):
        return f"{mask_url(url)!r} is not a broker URL; use {BROKER_FORMS}"
    address, _, database = rest.rpartition("@")[2].partition("/")
    host, _, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
    if not host:
        return f"{mask_url(url)!r} names no Redis host; use {BROKER_FORMS}"
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return f"{mask_url(url)!r}: {port!r} is not a port number; use {BROKER_FORMS}"
    if database and not database.isdigit():
        return f"{mask_url(url)!r}: {database!r} is not a Redis database number; use {BROKER_FORMS}"
    return None


def mask_url(url: str) -> str:
    """A connection URL (database, Redis) with its password replaced by a mask."""
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", url)


def _config_path() -> Path | None:
    explicit = os.environ.get(CONFIG_FILE_ENV)  # noqa: TID251 - the one place that reads the environment
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise ConfigError(f"{CONFIG_FILE_ENV}={explicit}: no such file")
        return path
    return Path(DEFAULT_CONFIG_FILE)


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings; a bad value becomes one ConfigError line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        message = first["msg"].removeprefix("Value error, ")
        env = f"LEGALAID_{name.upper()}" if name != "settings" else "settings"
        raise ConfigError(f"{env}: {message}") from None
