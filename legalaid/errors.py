"""Errors a user can cause and read: the CLI prints them as one line and exits non-zero."""


class UserError(Exception):
    """A mistake in the user's input or configuration, reported as one clear line, never a traceback."""

    exit_code = 2


class ConfigError(UserError):
    """A setting is missing, malformed or unsafe."""
