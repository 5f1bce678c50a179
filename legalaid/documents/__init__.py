"""Word documents of the case steps: docxtpl templates, their registry and check, rendering and recording.

``render_document`` renders to bytes (the mail code attaches them); ``save_document`` records them and
writes the file, after the commit when the caller stages it (``legalaid.paths.StagedFiles``).
"""

from legalaid.dates import format_date
from legalaid.documents.check import TemplateReport, check_template, check_templates
from legalaid.documents.context import DEFAULT_CENTER_NAME, DocumentNotApplicable, Issuer
from legalaid.documents.files import UnsafeOutputPath, safe_file_name, save_document
from legalaid.documents.generate import (
    DOCX_MEDIA_TYPE,
    PDF_MEDIA_TYPE,
    RenderedDocument,
    UnknownCase,
    document_file_name,
    render_document,
)
from legalaid.documents.pdf import PdfUnavailable, find_office, to_pdf
from legalaid.documents.registry import (
    KINDS,
    LOCALES,
    VARIABLES,
    DocumentKind,
    Locale,
    UnknownDocumentKind,
    UnknownLocale,
    get_kind,
)
from legalaid.documents.render import TemplateError

__all__ = [
    "DEFAULT_CENTER_NAME",
    "DOCX_MEDIA_TYPE",
    "KINDS",
    "LOCALES",
    "PDF_MEDIA_TYPE",
    "VARIABLES",
    "DocumentKind",
    "DocumentNotApplicable",
    "Issuer",
    "Locale",
    "PdfUnavailable",
    "RenderedDocument",
    "TemplateError",
    "TemplateReport",
    "UnknownCase",
    "UnknownDocumentKind",
    "UnknownLocale",
    "UnsafeOutputPath",
    "check_template",
    "check_templates",
    "document_file_name",
    "find_office",
    "format_date",
    "get_kind",
    "render_document",
    "safe_file_name",
    "save_document",
    "to_pdf",
]
