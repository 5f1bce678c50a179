"""The context of each document kind, built from a case: every value a plain string, ready for a template.

Values are given as they are (``A&B <律所>`` stays ``A&B <律所>``): escaping is the renderer's job, so the
context can be shown, logged or tested as the reader will see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from legalaid.config import DOCUMENT_NUMBER_FORMAT, Settings
from legalaid.dates import format_date
from legalaid.documents.numbers import NumberFormat, issue_number, preview_number
from legalaid.documents.registry import DocumentKind, Locale
from legalaid.errors import UserError
from legalaid.models import Case, Person
from legalaid.models.enums import LABELS_ZH, CaseType

# Without the settings, documents name a placeholder center, which a reader spots at once.
DEFAULT_CENTER_NAME = "XX区法律援助中心"
DEFAULT_NUMBER_PREFIX = "X"

# What ends a sentence already: the full stops, question and exclamation marks, and an ellipsis.
_SENTENCE_ENDS = frozenset("。．.！!？?…")
_CLOSING = "”’\"'）)」』》"

_CASE_TYPE_EN = {
    CaseType.civil: "civil",
    CaseType.criminal: "criminal",
    CaseType.administrative: "administrative",
}


@dataclass(frozen=True)
class Issuer:
    """Who issues the documents: the center's name, the prefix of its document numbers (X法援指…) and
    their format (the settings ``document_number_prefix`` and ``document_number_format``)."""

    center_name: str = DEFAULT_CENTER_NAME
    number_prefix: str = DEFAULT_NUMBER_PREFIX
    number_format: str = DOCUMENT_NUMBER_FORMAT

    @classmethod
    def from_settings(cls, settings: Settings) -> Issuer:
        return cls(
            center_name=settings.center_name,
            number_prefix=settings.document_number_prefix,
            number_format=settings.document_number_format,
        )

    @property
    def numbers(self) -> NumberFormat:
        return NumberFormat(prefix=self.number_prefix, template=self.number_format)


class DocumentNotApplicable(UserError):
    """The case is not at the step the document records (a grant decision for a denied case, …)."""


def build_context(
    session: Session,
    *,
    kind: DocumentKind,
    case: Case,
    locale: Locale,
    issuer: Issuer,
    reason: str | None = None,
    issued_on: date | None = None,
    record_number: bool = True,
) -> dict[str, str]:
    """The variables ``kind`` promises, for ``case``: exactly ``kind.variables``, each a string.

    ``issued_on`` overrides the issue date, which is otherwise the date of the step the document records
    (the decision, or the assignment). A case not at that step, or without the lawyer or reason the kind
    names, is a DocumentNotApplicable. The document number is issued and recorded in ``session`` (the
    one recorded before when this document was issued already); ``record_number=False`` (a dry run) shows
    the number it would get and records nothing.
    """
    values: dict[str, str] = {
        "center_name": issuer.center_name,
        "case_no": case.case_no,
        "applicant_name": case.applicant,
        "case_type": _case_type_label(case.case_type, locale),
        "matter": case.matter or "",
        "applied_on": format_date(case.applied_on, locale),
        "decided_on": format_date(case.decided_on, locale),
        "assigned_on": format_date(case.assigned_on, locale),
    }
    _check_decision(kind, case)
    if "reason" in kind.variables:
        # The reason given now wins over the one recorded with the decision (决定理由).
        reason = reason if reason and reason.strip() else case.decision_reason
        if not reason or not reason.strip():
            raise DocumentNotApplicable(
                f"a {kind.name} states the reason for the denial; record it (决定理由) "
                f"or give it (--reason) for case {case.case_no}"
            )
        values["reason"] = with_full_stop(reason, locale)
    if "lawyer_name" in kind.variables:
        values.update(_lawyer_values(session, case))
    issue_date = issued_on or getattr(case, kind.step)
    if issue_date is None:
        raise DocumentNotApplicable(
            f"case {case.case_no} has no {kind.step}, the date a {kind.name} is issued on; "
            "record it, or give the issue date (--issued-on)"
        )
    values["issue_date"] = format_date(issue_date, locale)
    number = issue_number if record_number else preview_number
    values["document_no"] = number(
        session, kind=kind.name, code=kind.number_code, case=case, issued_on=issue_date, style=issuer.numbers
    )
    return {name: values[name] for name in kind.variables}


def with_full_stop(sentence: str, locale: Locale) -> str:
    """``sentence`` ending with a full stop: 。 (in English .) added when it ends without one.

    The letter prints the reason as a paragraph of its own; staff type it with or without the stop."""
    stripped = sentence.rstrip()
    last = stripped.rstrip(_CLOSING)  # 理由是“收入超过标准。” ends with its stop inside the quotes
    if not last or last[-1] in _SENTENCE_ENDS:
        return sentence
    return stripped + ("。" if locale == "zh_CN" else ".")


def _check_decision(kind: DocumentKind, case: Case) -> None:
    if kind.decision is not None and case.decision != kind.decision:
        decision = case.decision.value if case.decision else "none yet"
        raise DocumentNotApplicable(
            f"case {case.case_no} was not {kind.decision.value} legal aid (decision: {decision})"
        )


def _lawyer_values(session: Session, case: Case) -> dict[str, str]:
    if case.lawyer_id is None:
        raise DocumentNotApplicable(f"case {case.case_no} has no assigned lawyer")
    lawyer = session.get(Person, case.lawyer_id)
    if lawyer is None:  # the foreign key makes this a broken database, still a clear line
        raise DocumentNotApplicable(
            f"case {case.case_no}: its lawyer (id {case.lawyer_id}) is not in the database"
        )
    firm = lawyer.firm
    return {
        "lawyer_name": lawyer.name,
        "firm_name": firm.name if firm else "",
        "firm_address": (firm.address or "") if firm else "",
        "firm_email": (firm.email or "") if firm else "",
    }


def _case_type_label(case_type: CaseType, locale: Locale) -> str:
    return LABELS_ZH[case_type] if locale == "zh_CN" else _CASE_TYPE_EN[case_type]
