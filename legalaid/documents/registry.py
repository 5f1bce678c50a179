"""The document kinds: which template each one uses and which variables it gives that template.

A kind's ``variables`` is a promise to template editors: every name in it is in the context of every
rendering, as text (possibly empty), and no other name is. ``legalaid templates check`` holds the shipped
and the edited templates to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from legalaid.errors import UserError
from legalaid.models.enums import Decision
from legalaid.resources import templates_dir

Locale = Literal["zh_CN", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)

# What each variable holds, for `legalaid documents kinds` and whoever edits a template in Word.
VARIABLES: dict[str, str] = {
    "center_name": "法律援助中心名称 (the issuing center)",
    "document_no": "文书编号, e.g. X法援指〔2012〕35号 (the setting document_number_format)",
    "issue_date": "落款日期 (the day of the step: decision or assignment)",
    "case_no": "案号",
    "applicant_name": "受援人/申请人姓名",
    "case_type": "案件类型 (民事/刑事/行政)",
    "matter": "案由 (may be empty)",
    "applied_on": "申请日期",
    "decided_on": "审查决定日期 (may be empty)",
    "assigned_on": "指派日期",
    "reason": "不予法律援助的理由 (its full stop added when it has none)",
    "lawyer_name": "承办人姓名",
    "firm_name": "承办机构 (律师事务所/基层法律服务所)",
    "firm_address": "承办机构地址 (empty until firms have an address)",
    "firm_email": "承办机构电子邮箱 (may be empty)",
}

_COMMON = frozenset(
    {
        "center_name",
        "document_no",
        "issue_date",
        "case_no",
        "applicant_name",
        "case_type",
        "matter",
        "applied_on",
    }
)


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document a case step produces."""

    name: str
    titles: dict[Locale, str]
    # The character of the document number that says which register it is in: 决, 不, 指.
    number_code: str
    variables: frozenset[str]
    # The case step the document records: its date is the issue date, and a case without it has no
    # such document (nor one whose decision is not ``decision``, when that is set).
    step: Literal["decided_on", "assigned_on"]
    decision: Decision | None = None

    @property
    def template_name(self) -> str:
        return f"{self.name}.docx"

    def title(self, locale: Locale) -> str:
        return self.titles[locale]

    def template_path(self, locale: Locale, root: Path | None = None) -> Path:
        """The template of this kind in ``locale``, under ``root/docx`` (the shipped templates by default)."""
        return (root or templates_dir()) / "docx" / locale / self.template_name


KINDS: dict[str, DocumentKind] = {
    kind.name: kind
    for kind in (
        DocumentKind(
            name="grant_decision",
            titles={"zh_CN": "给予法律援助决定书", "en": "Decision to Grant Legal Aid"},
            number_code="决",
            variables=_COMMON | {"decided_on"},
            step="decided_on",
            decision=Decision.granted,
        ),
        DocumentKind(
            name="denial_decision",
            titles={"zh_CN": "不予法律援助决定书", "en": "Decision to Deny Legal Aid"},
            number_code="不",
            variables=_COMMON | {"decided_on", "reason"},
            step="decided_on",
            decision=Decision.denied,
        ),
        DocumentKind(
            name="assignment_notice",
            titles={"zh_CN": "指派通知书", "en": "Notice of Assignment"},
            number_code="指",
            variables=_COMMON
            | {"decided_on", "assigned_on", "lawyer_name", "firm_name", "firm_address", "firm_email"},
            step="assigned_on",
            decision=Decision.granted,  # only a granted case is assigned
        ),
    )
}


class UnknownDocumentKind(UserError):
    """A kind name that is not in the registry."""


class UnknownLocale(UserError):
    """A locale the documents are not written in."""


def get_kind(name: str) -> DocumentKind:
    """The kind called ``name``; a UserError listing the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownDocumentKind(
            f"unknown document kind {name!r} (known: {', '.join(sorted(KINDS))})"
        ) from None


def check_locale(value: str) -> Locale:
    """``value`` as a Locale; a UserError listing the locales otherwise."""
    for locale in LOCALES:
        if value == locale:
            return locale
    raise UnknownLocale(f"unknown locale {value!r} (known: {', '.join(LOCALES)})")
