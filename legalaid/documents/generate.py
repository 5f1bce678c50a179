"""Render a case's document to bytes and name its file, apart from writing it anywhere (the mail code
attaches the bytes; ``files.save_document`` writes them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.documents.context import Issuer, build_context
from legalaid.documents.registry import DocumentKind, Locale, check_locale, get_kind
from legalaid.documents.render import render_template
from legalaid.errors import UserError
from legalaid.models import Case
from legalaid.paths import safe_file_name

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"


class UnknownCase(UserError):
    """No case has the case number given."""


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered document in memory: what it is, for which case, its file name, bytes and checksum."""

    kind: str
    file_name: str
    content: bytes
    sha256: str
    locale: Locale
    case_id: int | None
    case_no: str
    # The document number printed on it (文号), and for a PDF copy the fonts it is set in.
    document_no: str = ""
    fonts: str = ""

    @property
    def media_type(self) -> str:
        return PDF_MEDIA_TYPE if self.file_name.endswith(".pdf") else DOCX_MEDIA_TYPE

    @property
    def size(self) -> int:
        return len(self.content)


def document_file_name(kind: DocumentKind, *, case_no: str, locale: Locale) -> str:
    """``指派通知书-2012民援第001号.docx`` (``Notice of Assignment-…`` in English), made safe."""
    return safe_file_name(f"{kind.title(locale)}-{case_no}")


def render_document(
    session: Session,
    *,
    kind: str,
    case_no: str,
    locale: str,
    issuer: Issuer | None = None,
    reason: str | None = None,
    issued_on: date | None = None,
    templates_root: Path | None = None,
    record_number: bool = True,
    case: Case | None = None,
) -> RenderedDocument:
    """The ``kind`` document of case ``case_no`` in ``locale``, rendered from its template; writes nothing.

    ``reason`` is the stated reason of a denial (required for ``denial_decision``); ``issued_on`` overrides
    the issue date (by default the date of the step); ``templates_root`` replaces the shipped templates.
    An unknown kind, locale or case, a case not at the kind's step, or a broken template is a UserError.
    The document number is issued and recorded in ``session`` (``legalaid.documents.numbers``); with
    ``record_number=False`` (a dry run) nothing is recorded and the number shown is the one it would get.
    ``case`` is case ``case_no`` when the caller has it loaded already (the notices of a change).
    """
    document_kind = get_kind(kind)
    checked_locale = check_locale(locale)
    if case is None or case.case_no != case_no:
        case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        raise UnknownCase(f"no case with case number {case_no!r}")
    context = build_context(
        session,
        kind=document_kind,
        case=case,
        locale=checked_locale,
        issuer=issuer or Issuer(),
        reason=reason,
        issued_on=issued_on,
        record_number=record_number,
    )
    path = document_kind.template_path(checked_locale, templates_root)
    content = render_template(path, context, name=f"{checked_locale}/{document_kind.template_name}")
    return RenderedDocument(
        kind=document_kind.name,
        file_name=document_file_name(document_kind, case_no=case.case_no, locale=checked_locale),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        locale=checked_locale,
        case_id=case.id,
        case_no=case.case_no,
        document_no=context["document_no"],
    )
