"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is parsed with PyYAML (anchors and merge keys resolved) and held against the code: every
``legalaid`` command it runs must parse against the real command line, every ``LEGALAID_*`` variable must be
a setting whose value validates, and the scaling and ordering rules of the design must hold.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from celery import Celery
from celery.app.utils import find_app
from typer.core import TyperGroup

from cli import app
from legalaid.config import Settings
from legalaid.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
SAMPLE_VALUES = {"POSTGRES_PASSWORD": "Sample0Password", "LEGALAID_MAIL_FROM": "legalaid@example.gov.cn"}


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def legalaid_services() -> list[str]:
    return [name for name, service in SERVICES.items() if command_of(service)[:1] == ["legalaid"]]


def interpolate(value: str) -> str:
    """What docker compose makes of ``value`` with a .env holding only the required variables."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group("name", "op", "arg")
        if name in SAMPLE_VALUES:
            return SAMPLE_VALUES[name]
        if op and op.endswith("?"):
            pytest.fail(f"${{{name}}} is required but has no sample value in this test")
        return arg if op and op.endswith("-") else ""

    return _INTERPOLATION.sub(one, value)


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=VALUE form
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(str(value)) for key, value in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Each dependency with its condition (a plain list means service_started)."""
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def resolve_legalaid(argv: list[str]) -> list[str]:
    """The command path ``argv`` (after ``legalaid``) names; its options must parse. Fails the test if not."""
    command = typer.main.get_command(app)
    args, path = list(argv), []
    while isinstance(command, TyperGroup):
        if not args or args[0] not in command.commands:
            known = ", ".join(sorted(command.commands))
            pytest.fail(f"legalaid {' '.join(path)}: no command {args[:1]} (known: {known})")
        path.append(args.pop(0))
        command = command.commands[path[-1]]
    # Parses the options exactly as a run would, without running the command.
    command.make_context(f"legalaid {' '.join(path)}", args)
    return path


# Every legalaid command and setting is real. --------------------------------------------------------------


def test_the_legalaid_services_are_all_there() -> None:
    assert set(legalaid_services()) == {"migrate", "worker", "scheduler", "web"}


@pytest.mark.parametrize("name", legalaid_services())
def test_legalaid_commands_exist(name: str) -> None:
    assert resolve_legalaid(command_of(SERVICES[name])[1:])


def test_the_resolver_rejects_unknown_commands() -> None:
    with pytest.raises(pytest.fail.Exception, match="no command"):
        resolve_legalaid(["db", "downgrade"])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_legalaid_variables_are_settings_that_validate(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in environment_of(SERVICES[name]).items() if k.startswith("LEGALAID_")}
    fields = Settings.model_fields
    unknown = [k for k in env if k.removeprefix("LEGALAID_").lower() not in fields]
    assert not unknown, f"{name}: not settings: {unknown}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    Settings()  # the values validate too (a mistyped transport or port would raise)


def test_common_environment() -> None:
    env = environment_of(SERVICES["worker"])
    assert env["LEGALAID_DATABASE_URL"] == "postgresql+psycopg://legalaid:Sample0Password@postgres/legalaid"
    assert env["LEGALAID_BROKER_URL"] == "redis://redis:6379/0"
    assert env["LEGALAID_MAIL_TRANSPORT"] == "smtp"
    assert (env["LEGALAID_SMTP_HOST"], env["LEGALAID_SMTP_PORT"]) == ("mailpit", "1025")
    assert env["LEGALAID_DATA_DIR"] == "/data"
    for name in legalaid_services():
        assert environment_of(SERVICES[name]) == env, f"{name} does not share the common environment"
        assert "documents:/data" in SERVICES[name]["volumes"]


def test_no_secret_is_committed() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "${POSTGRES_PASSWORD:?" in text
    assert not re.search(r"postgresql\+psycopg://legalaid:[^$]", text)
    required = {m.group("name") for m in _INTERPOLATION.finditer(text) if (m.group("op") or "").endswith("?")}
    example = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.splitlines() if line and not line.startswith("#")
    )
    assert required <= set(example), f"required but not in .env.example: {required - set(example)}"
    assert all(not value for key, value in example.items() if "PASSWORD" in key)
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_flower_finds_the_celery_app(task_runtime: Runtime) -> None:
    command = command_of(SERVICES["flower"])
    assert command[0] == "celery" and "flower" in command
    option = next(i for i, part in enumerate(command) if part in ("-A", "--app"))
    # Built here, from this test's settings (task_runtime forgets it afterwards).
    assert isinstance(find_app(command[option + 1]), Celery)
    assert "LEGALAID_DATABASE_URL" not in environment_of(SERVICES["flower"])


# Scaling, ordering and the broker's settings. ------------------------------------------------------------


def test_worker_scales() -> None:
    worker = SERVICES["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert command_of(worker) == ["legalaid", "worker"]


def test_scheduler_has_a_standby() -> None:
    scheduler = SERVICES["scheduler"]
    assert scheduler["deploy"]["replicas"] == 2
    assert "container_name" not in scheduler and "ports" not in scheduler


def test_redis_never_evicts_and_keeps_its_queues() -> None:
    command = " ".join(command_of(SERVICES["redis"]))
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command
    assert SERVICES["redis"]["image"].startswith("redis:7")


def test_database_users_wait_for_the_migration() -> None:
    migrate = SERVICES["migrate"]
    assert command_of(migrate) == ["legalaid", "db", "upgrade"]
    assert depends_on(migrate) == {"postgres": "service_healthy"}
    users = [n for n, s in SERVICES.items() if "LEGALAID_DATABASE_URL" in environment_of(s)]
    users.remove("migrate")
    assert set(users) >= {"worker", "scheduler"}
    for name in users:
        assert depends_on(SERVICES[name]).get("migrate") == "service_completed_successfully", name


def test_health_conditions_have_healthchecks() -> None:
    for name, service in SERVICES.items():
        for dependency, condition in depends_on(service).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"
    assert SERVICES["postgres"]["image"] == "postgres:16"


def test_web_serves_the_api_behind_the_proxy() -> None:
    web = SERVICES["web"]
    command = command_of(web)
    assert command[:2] == ["legalaid", "web"]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # inside its container, for the published port
    # Published on the host's localhost only: the reverse proxy with TLS is the way in.
    assert web["ports"] == ["127.0.0.1:8000:8000"]
    assert depends_on(web).get("migrate") == "service_completed_successfully"
    assert web["image"] == SERVICES["worker"]["image"]
    assert re.search(r"^EXPOSE 8000$", _stages()["app"], flags=re.MULTILINE)
    assert re.search(r"^COPY web \./web$", DOCKERFILE, flags=re.MULTILINE)


def test_mailpit_ports() -> None:
    published = " ".join(SERVICES["mailpit"]["ports"])
    assert ":1025:1025" in published and ":8025:8025" in published
    assert SERVICES["mailpit"]["image"].startswith("axllent/mailpit")


# The Dockerfile. ------------------------------------------------------------------------------------------


def _stages() -> dict[str, str]:
    """Each build stage's name and the text of its instructions."""
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\w+)\s*$", DOCKERFILE, flags=re.MULTILINE | re.IGNORECASE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_dockerfile_installs_the_package_without_dev_extras() -> None:
    assert re.search(r"^FROM python:3\.11-slim AS app$", DOCKERFILE, flags=re.MULTILINE)
    assert re.search(r"pip install (--?\S+ )*\.(\s|$)", _stages()["app"])
    assert "[dev]" not in DOCKERFILE


def test_dockerfile_runs_as_a_user() -> None:
    for stage, text in _stages().items():
        users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
        assert users and users[-1] not in ("root", "0"), f"stage {stage} ends as root"


def test_dockerfile_and_compose_agree() -> None:
    stages = _stages()
    # No ENTRYPOINT: the compose commands are whole command lines (legalaid …, celery …).
    assert "ENTRYPOINT" not in DOCKERFILE
    for name, service in SERVICES.items():
        if "build" in service:
            assert service["build"]["target"] in stages, f"{name}: no stage {service['build']['target']}"
            assert command_of(service)[0] in ("legalaid", "celery"), name
    assert {SERVICES[n]["image"] for n in legalaid_services()} == {SERVICES["worker"]["image"]}
    assert "flower" in stages["flower"] and "flower" not in stages["app"]
