"""The context of each document kind, built from a case: every value a plain string, ready for a template.

Values are given as they are (``A&B <律所>`` stays ``A&B <律所>``): escaping is the renderer's job, so the
context can be shown, logged or tested as the reader will see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from legalaid.config import Settings
from legalaid.dates import format_date
from legalaid.documents.registry import DocumentKind, Locale
from legalaid.errors import UserError
from legalaid.models import Case, Person
from legalaid.models.enums import LABELS_ZH, CaseType

# Until the settings carry the center's name and document-number prefix (an open item), documents name a
# placeholder center, which a reader spots at once and a template editor can replace.
DEFAULT_CENTER_NAME = "XX区法律援助中心"
DEFAULT_NUMBER_PREFIX = "X"

_CASE_TYPE_EN = {
    CaseType.civil: "civil",
    CaseType.criminal: "criminal",
    CaseType.administrative: "administrative",
}
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Issuer:
    """Who issues the documents: the center's name and the prefix of its document numbers (X法援指…)."""

    center_name: str = DEFAULT_CENTER_NAME
    number_prefix: str = DEFAULT_NUMBER_PREFIX

    @classmethod
    def from_settings(cls, settings: Settings) -> Issuer:
        return cls(center_name=settings.center_name, number_prefix=settings.document_number_prefix)


class DocumentNotApplicable(UserError):
    """The case is not at the step the document records (a grant decision for a denied case, …)."""


def document_number(kind: DocumentKind, *, case: Case, issued_on: date, prefix: str) -> str:
    """``X法援指〔2012〕第001号``: the year and serial number of the case number, in the kind's register.

    Deriving the number from the case number (not from a counter) keeps it the same however often the
    document is generated, and lets a reader match a document to its case file.
    """
    year_match = _YEAR.search(case.case_no)
    year = year_match.group() if year_match else str(issued_on.year)
    serials = [
        m.group() for m in _DIGITS.finditer(case.case_no) if not year_match or m.span() != year_match.span()
    ]
    serial = serials[-1] if serials else str(case.id)
    return f"{prefix}法援{kind.number_code}〔{year}〕第{serial.zfill(3)}号"


def build_context(
    session: Session,
    *,
    kind: DocumentKind,
    case: Case,
    locale: Locale,
    issuer: Issuer,
    reason: str | None = None,
    issued_on: date | None = None,
) -> dict[str, str]:
    """The variables ``kind`` promises, for ``case``: exactly ``kind.variables``, each a string.

    ``issued_on`` overrides the issue date, which is otherwise the date of the step the document records
    (the decision, or the assignment). A case not at that step, or without the lawyer or reason the kind
    names, is a DocumentNotApplicable.
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
        values["reason"] = reason
    if "lawyer_name" in kind.variables:
        values.update(_lawyer_values(session, case))
    issue_date = issued_on or getattr(case, kind.step)
    if issue_date is None:
        raise DocumentNotApplicable(
            f"case {case.case_no} has no {kind.step}, the date a {kind.name} is issued on; "
            "record it, or give the issue date (--issued-on)"
        )
    values["issue_date"] = format_date(issue_date, locale)
    values["document_no"] = document_number(
        kind, case=case, issued_on=issue_date, prefix=issuer.number_prefix
    )
    return {name: values[name] for name in kind.variables}


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
