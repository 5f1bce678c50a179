"""The mail outbox and its transports (SMTP through yagmail, .eml files, console).

Every outgoing email is an outbox row written in the transaction that caused it (``enqueue``); a task
delivers it (``deliver_one``); a sweep hands over rows whose task was lost (``hand_over_lost``). The state
machine is described in ``legalaid.mail.outbox``.
"""

from legalaid.mail.compose import (
    Attachment,
    ComposedMail,
    OutgoingMail,
    compose,
    message_id_for,
    normalize_address,
)
from legalaid.mail.delivery import Outcome, deliver_many, deliver_one, flush, hand_over_lost
from legalaid.mail.failures import DeliveryFailure, PermanentFailure, TemporaryFailure
from legalaid.mail.outbox import (
    DEAD,
    QUEUED,
    SENDING,
    SENT,
    STATUSES,
    Claim,
    NewMessage,
    claim,
    due_ids,
    enqueue,
    enqueue_many,
    mark_enqueued,
    reclaim_expired,
    record_failure,
    record_sent,
    requeue,
    sweep,
)
from legalaid.mail.render import RenderedEmail, check_templates, render_email, template_variables
from legalaid.mail.retry import DEFAULT_POLICY, RetryPolicy, policy_from_settings
from legalaid.mail.transports import (
    ConsoleTransport,
    FileTransport,
    SmtpTransport,
    Transport,
    make_transport,
)

__all__ = [
    "DEAD",
    "DEFAULT_POLICY",
    "QUEUED",
    "SENDING",
    "SENT",
    "STATUSES",
    "Attachment",
    "Claim",
    "ComposedMail",
    "ConsoleTransport",
    "DeliveryFailure",
    "NewMessage",
    "FileTransport",
    "OutgoingMail",
    "Outcome",
    "PermanentFailure",
    "RenderedEmail",
    "RetryPolicy",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "check_templates",
    "claim",
    "compose",
    "deliver_many",
    "deliver_one",
    "due_ids",
    "enqueue",
    "enqueue_many",
    "flush",
    "hand_over_lost",
    "make_transport",
    "mark_enqueued",
    "message_id_for",
    "normalize_address",
    "policy_from_settings",
    "reclaim_expired",
    "record_failure",
    "record_sent",
    "render_email",
    "requeue",
    "sweep",
    "template_variables",
]
