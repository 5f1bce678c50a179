"""``legalaid documents`` (render a case's document, list the kinds) and ``legalaid templates check``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import console, output_folder, parse_date_option, print_json, runtime
from legalaid.config import load_settings
from legalaid.errors import UserError
from legalaid.resources import shipped_templates_dir, templates_folder_problem

if TYPE_CHECKING:
    from legalaid.documents import RenderedDocument
    from legalaid.models import GeneratedDocument

# legalaid.documents.KINDS, written out: the documents are loaded by a command that renders or checks
# them, not by every --help (tests/test_startup.py checks the two agree).
KINDS_HELP = "grant_decision, denial_decision, assignment_notice"

app = typer.Typer(help="Word documents of the case steps.", no_args_is_help=True)
templates_app = typer.Typer(
    help="The Word and email templates (the shipped ones, or the templates_dir setting's).",
    no_args_is_help=True,
)


@app.command("render")
def render(
    kind: Annotated[str, typer.Argument(metavar="KIND", help=f"The document: {KINDS_HELP}.")],
    case_no: Annotated[str, typer.Option("--case", help="The case number (案号).")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder (default: data_dir/documents).")] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="zh_CN or en (default: the locale setting).")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF (needs LibreOffice).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="The reason of a denial.")] = None,
    issued_on: Annotated[
        str | None, typer.Option("--issued-on", help="YYYY-MM-DD (default: the day of the step).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Render; write and record nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Render the KIND document of a case into a folder, and record it."""
    from legalaid.documents import Issuer, PdfUnavailable, get_kind, render_document, save_document, to_pdf
    from legalaid.documents.pdf import require_office
    from legalaid.documents.registry import check_locale
    from legalaid.paths import StagedFiles

    get_kind(kind)  # an unknown kind fails before the database is opened
    issue_date = parse_date_option(issued_on, "--issued-on")
    rt = runtime()
    checked_locale = check_locale(locale or rt.settings.locale)
    office = require_office() if pdf else None  # say so before anything is written
    folder = output_folder(out, "--out") if out is not None else rt.settings.documents_dir
    # The file is staged in the transaction and put in the folder once the record has committed.
    with StagedFiles() as staged, rt.transaction() as session:
        doc = render_document(
            session,
            kind=kind,
            case_no=case_no,
            locale=checked_locale,
            reason=reason,
            issued_on=issue_date,
            issuer=Issuer.from_settings(rt.settings),
            record_number=not dry_run,  # a dry run shows the number it would get
        )
        if dry_run:
            _report([_describe(doc, None)], as_json=as_json, dry_run=True)
            return
        records = [(doc, save_document(session, doc, folder, staged=staged))]
    if office is not None:
        # The .docx is committed first: a failed conversion leaves it written and recorded, and says so.
        try:
            pdf_doc = to_pdf(doc, office=office)
        except PdfUnavailable as exc:
            raise PdfUnavailable(f"{exc} (the .docx is written: {records[0][1].path})") from None
        with StagedFiles() as staged, rt.transaction() as session:
            records.append((pdf_doc, save_document(session, pdf_doc, folder, staged=staged)))
    _report([_describe(d, r) for d, r in records], as_json=as_json, dry_run=False)


def _describe(doc: RenderedDocument, record: GeneratedDocument | None) -> dict[str, object]:
    return {
        "kind": doc.kind,
        "case_no": doc.case_no,
        "locale": doc.locale,
        "file_name": doc.file_name,
        "path": record.path if record else None,
        "size": doc.size,
        "sha256": doc.sha256,
        "id": record.id if record else None,
        "document_no": doc.document_no,
        **({"fonts": doc.fonts} if doc.fonts else {}),
    }


def _report(items: list[dict[str, object]], *, as_json: bool, dry_run: bool) -> None:
    if as_json:
        print_json(items[0] if len(items) == 1 else items)
        return
    for item in items:
        where = f"would write {item['file_name']}" if dry_run else f"wrote {item['path']}"
        sha = str(item["sha256"])[:12]
        fonts = f"; {item['fonts']}" if item.get("fonts") else ""
        console.print(
            f"{where} ({item['document_no']}, {item['size']} bytes, sha256 {sha}…{fonts})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command("kinds")
def kinds(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the document kinds, their titles and the variables each gives its template."""
    from legalaid.documents import KINDS, VARIABLES

    rows: list[dict[str, object]] = [
        {
            "kind": kind.name,
            "titles": dict(kind.titles),
            "template": kind.template_name,
            "variables": {name: VARIABLES[name] for name in sorted(kind.variables)},
        }
        for kind in KINDS.values()
    ]
    if as_json:
        print_json(rows)
        return
    for kind in KINDS.values():
        console.print(f"{kind.name}  {' / '.join(kind.titles.values())}", highlight=False)
        for name in sorted(kind.variables):
            console.print(f"    {{{{ {name} }}}}  {VARIABLES[name]}", highlight=False)


@templates_app.command("export")
def export(
    folder: Annotated[
        Path,
        typer.Argument(metavar="FOLDER", help="A new (or empty) folder to copy the shipped templates to."),
    ],
) -> None:
    """Copy the shipped Word and email templates to FOLDER, to edit them in Word or WPS and a text editor;
    then set templates_dir (LEGALAID_TEMPLATES_DIR) to FOLDER and run `legalaid templates check`."""
    output_folder(folder, "FOLDER")
    if folder.is_dir() and any(folder.iterdir()):
        raise UserError(f"FOLDER: {folder} is not empty; name a new folder (nothing was copied)")
    source = shipped_templates_dir()
    copied = shutil.copytree(source, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    count = sum(1 for path in Path(copied).rglob("*") if path.is_file())
    console.print(f"copied {count} template files to {folder}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"edit them, then set LEGALAID_TEMPLATES_DIR={folder.resolve()} (or templates_dir in legalaid.toml) "
        "and run `legalaid templates check`",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _folder_to_check(folder: Path | None) -> Path | None:
    """``--dir`` checked; without it the center's own templates when the settings name them (None: the
    shipped ones)."""
    if folder is None:
        return load_settings().templates_dir
    if problem := templates_folder_problem(folder):
        raise UserError(f"--dir: {problem}")
    return folder


@templates_app.command("check")
def check(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="A folder holding docx/ and email/ (default: templates_dir, or the shipped ones).",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings (tags split across runs).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check every template: the Word templates parse, render, and use only the variables their kind
    provides; the email templates parse and exist in every locale."""
    from legalaid.documents import check_templates
    from legalaid.mail import check_templates as check_email_templates

    folder = _folder_to_check(folder)
    reports = check_templates(folder)
    failed = [r for r in reports if not r.ok or (strict and r.warnings)]
    # An email template that does not parse would fail its job at send time; say so now, by file.
    email_problems = check_email_templates(root=folder)
    if as_json:
        print_json(
            {
                "ok": not failed and not email_problems,
                "templates": [r.as_dict() for r in reports],
                "email_problems": email_problems,
            }
        )
    else:
        for report in reports:
            if report.ok and not report.warnings:
                console.print(f"ok    {report.template}", markup=False, highlight=False)
            # markup=False: a problem quotes the template's own text, brackets and all.
            for line in report.errors:
                console.print(
                    f"error {report.template}: {line}", markup=False, highlight=False, soft_wrap=True
                )
            for line in report.warnings:
                console.print(
                    f"warn  {report.template}: {line}", markup=False, highlight=False, soft_wrap=True
                )
        for line in email_problems:
            console.print(f"error {line}", markup=False, highlight=False, soft_wrap=True)
        if not email_problems:
            console.print("ok    email templates", highlight=False)
    if failed or email_problems:
        message = f"{len(failed)} of {len(reports)} templates need fixing"
        if email_problems:
            message += (
                f"; {len(email_problems)} email template problem{'s' if len(email_problems) > 1 else ''}"
            )
        raise TemplatesNeedFixing(message)


class TemplatesNeedFixing(UserError):
    """The check found problems: exit 1, as linters do (2 is for a mistake in the command)."""

    exit_code = 1
