"""A real browser on a real ``legalaid web``: the fixtures of tests/test_browser_*.py.

``web_server`` prepares a database (SQLite under the test's folder, ``web_base_url`` the server's own
address, so links in mail point at it) and starts ``legalaid web`` on a free port once the test has put
its data in (``server.start()``). ``browser`` launches Debian's Chromium, ``/usr/bin/chromium``, headless
through Playwright with a fresh profile: no browser is ever downloaded (``playwright install`` is not
used anywhere). ``browser.shot(name)`` keeps a screenshot of the page as a test artefact, in the folder
printed when the fixture starts (``LEGALAID_TEST_ARTEFACTS``, else pytest's base temporary folder, which
pytest keeps for the last three runs).

A test module imports the fixtures (``from browser import browser_fixture, web_server_fixture``) and
asks for ``web_server`` and ``browser``. Without Chromium or Playwright a browser test is skipped, and
fails under ``LEGALAID_REQUIRE_SERVICES=1`` (CI, where ``.ci/run`` installs the ``chromium`` package).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from processes import ProcessGroup, legalaid_env, wait_for
from required import service_missing
from smtp_server import free_port

from legalaid import migrate
from legalaid.config import Settings
from legalaid.runtime import Runtime, build_runtime

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class WebServer:
    """A ``legalaid web`` process over a database the test prepares first (``runtime()``), then
    ``start()``."""

    folder: Path
    procs: ProcessGroup
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.folder / "var", web_base_url=self.url, web_port=self.port)

    @contextmanager
    def runtime(self) -> Iterator[Runtime]:
        """The server's database, migrated, for the test to put its data in (and read it back)."""
        rt = build_runtime(self.settings)
        try:
            migrate.upgrade(rt.engine)
            yield rt
        finally:
            rt.dispose()

    def start(self) -> str:
        """Start ``legalaid web`` and wait until it answers; its address."""
        self.procs.start("web", "web", "--port", str(self.port))

        def answers() -> bool:
            try:
                return httpx.get(f"{self.url}/api/v1/health", timeout=5).status_code in (200, 503)
            except httpx.HTTPError:
                return False

        wait_for(answers, timeout=60, what="legalaid web to answer", procs=self.procs)
        return self.url

    def emails(self) -> list[Path]:
        """The .eml files the file transport delivered, oldest first."""
        return sorted((self.folder / "var").rglob("*.eml"), key=lambda p: p.stat().st_mtime_ns)


@dataclass
class Browser:
    """One Chromium page, and the folder its screenshots go to."""

    page: Page
    shots: Path
    taken: list[Path] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        """A full-page screenshot, ``NN-name.png`` in the artefacts folder."""
        path = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture(name="web_server")
def web_server_fixture(tmp_path: Path) -> Iterator[WebServer]:
    env = legalaid_env(data_dir=tmp_path / "var")
    with ProcessGroup(tmp_path, env) as procs:
        server = WebServer(tmp_path, procs)
        procs.env = {**env, "LEGALAID_WEB_BASE_URL": server.url}
        yield server


@pytest.fixture(name="browser")
def browser_fixture(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        service_missing(
            "Chromium", f"{CHROMIUM} is missing (Debian's `chromium` package; .ci/run installs it)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        service_missing("Playwright", f"{missing} (the dev extra: pip install -e '.[dev]')")
    base = os.environ.get("LEGALAID_TEST_ARTEFACTS")
    root = Path(base) if base else tmp_path_factory.getbasetemp() / "artefacts"
    shots = root / "screenshots" / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {shots}")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data dir per test
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            viewport={"width": 412, "height": 915},  # a phone: the pages are read from a mail app
        )
        try:
            yield Browser(context.pages[0] if context.pages else context.new_page(), shots)
        finally:
            context.close()
