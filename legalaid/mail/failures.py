"""How a delivery attempt can fail: temporarily (try again later) or permanently (give up now)."""

from __future__ import annotations


class DeliveryFailure(Exception):
    """A delivery attempt failed; the message is the server's answer or the local reason, secret-free."""


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later: connection refused, timeout, disconnect, SMTP 4xx, a config being fixed."""


class PermanentFailure(DeliveryFailure):
    """Trying again cannot help: SMTP 5xx on every recipient or on the message, no valid address."""
