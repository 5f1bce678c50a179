"""What a process needs to work: the settings and the database, built once and passed in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from legalaid.config import Settings, load_settings
from legalaid.db import make_engine, make_session_factory, transaction
from legalaid.resources import use_templates_dir


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    use_templates_dir(settings.templates_dir)
    engine = make_engine(settings)
    return Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine))
