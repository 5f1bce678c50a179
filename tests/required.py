"""Whether a missing service or tool skips a test (outside CI) or fails it (``LEGALAID_REQUIRE_SERVICES=1``,
as ``.ci/run`` sets). A module of its own: in a full run the name ``conftest`` may be tests/faults/'s, so
test modules import this, never ``conftest``."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_SERVICES = os.environ.get("LEGALAID_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def service_missing(what: str, reason: str) -> NoReturn:
    """Skip (outside CI) or fail (LEGALAID_REQUIRE_SERVICES=1) a test whose service or tool is missing."""
    message = f"{what} not available: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (LEGALAID_REQUIRE_SERVICES is set)")
    pytest.skip(message)
