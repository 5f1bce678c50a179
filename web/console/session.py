"""The console's session cookie and its CSRF tokens (itsdangerous, whose one home is this module).

A session is a signed cookie, not a server-side row: ``{user id, password fingerprint, CSRF token}``,
signed with the secret key and timestamped, refused once older than ``web_session_hours``. It is HttpOnly
(no script reads it), SameSite=Lax (another site's form does not carry it) and Secure when the console is
served over https. Each page load checks the user again, so a disabled user or a new password ends every
session at the next click. The CSRF token is random per session and goes in every form as a hidden field.

The key: ``web_secret_key`` (environment or file), or else a random key kept in ``data_dir/web_secret_key``
(mode 0600, made on first use), so sessions survive a restart. Several web hosts need the same key: set it.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from legalaid.config import Settings

COOKIE = "legalaid_session"
LOGIN_COOKIE = "legalaid_login"  # the sign-in form's own CSRF token, before there is a session
KEY_FILE = "web_secret_key"
_SALT = "legalaid.console.session"


@dataclass(frozen=True)
class SessionData:
    user_id: int
    fingerprint: str
    csrf: str


def secret_key(settings: Settings) -> str:
    """The key cookies are signed with: the setting, or the one kept in the data folder (made once)."""
    if settings.web_secret_key is not None:
        return settings.web_secret_key.get_secret_value()
    path = Path(settings.data_dir) / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: of two processes starting at once, one writes the key and both read the same one.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


class Sessions:
    """Signs and reads session cookies with one key and lifetime."""

    def __init__(self, settings: Settings) -> None:
        self.max_age = int(settings.web_session_hours * 3600)
        self.secure = settings.resolved_web_base_url.startswith("https://")
        self._serializer = URLSafeTimedSerializer(secret_key(settings), salt=_SALT)

    def new(self, user_id: int, fingerprint: str) -> tuple[str, SessionData]:
        """A new session's cookie value and data (a fresh CSRF token at each sign-in)."""
        data = SessionData(user_id, fingerprint, secrets.token_urlsafe(32))
        return self._serializer.dumps([data.user_id, data.fingerprint, data.csrf]), data

    def read(self, value: str | None) -> SessionData | None:
        """The session a cookie carries, or None when absent, altered or expired."""
        if not value:
            return None
        try:
            user_id, fingerprint, csrf = self._serializer.loads(value, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(user_id, int) or not isinstance(fingerprint, str) or not isinstance(csrf, str):
            return None
        return SessionData(user_id, fingerprint, csrf)

    def cookie_options(self) -> dict[str, Any]:
        return {"httponly": True, "samesite": "lax", "secure": self.secure, "path": "/"}


def same_token(expected: str | None, given: str | None) -> bool:
    """Whether a form's CSRF token is the expected one, compared in constant time."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
