"""Optional PDF copies through LibreOffice, where it is installed (it is not a dependency)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from legalaid.documents.fonts import FontChoice, choose_fonts
from legalaid.documents.generate import RenderedDocument
from legalaid.errors import UserError

OFFICE_BINARIES = ("soffice", "libreoffice")
CONVERT_TIMEOUT_SECONDS = 120.0


class PdfUnavailable(UserError):
    """LibreOffice is not installed, or could not convert the document."""


def find_office() -> str | None:
    """The LibreOffice program on PATH, or None."""
    for name in OFFICE_BINARIES:
        if found := shutil.which(name):
            return found
    return None


def require_office() -> str:
    """The LibreOffice program, or a PdfUnavailable that says how to get one."""
    office = find_office()
    if office is None:
        raise PdfUnavailable(
            "--pdf needs LibreOffice (soffice or libreoffice on PATH), which is not installed here; "
            "install it (e.g. apt-get install libreoffice-writer) or leave out --pdf"
        )
    return office


def conversion_command(program: str, sources: list[Path], folder: Path) -> list[str]:
    """The LibreOffice command that converts ``sources`` to PDF into ``folder`` in one run."""
    return [
        program,
        # A private profile: a LibreOffice the user has open (or another conversion) would otherwise hold
        # the lock on the shared one, and this conversion would silently do nothing.
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        *map(str, sources),
    ]


def to_pdf(
    doc: RenderedDocument, *, office: str | None = None, fonts: FontChoice | None = None
) -> RenderedDocument:
    """``doc`` converted to PDF by a headless LibreOffice, as a RenderedDocument of the same case whose
    ``fonts`` says what it is set in: a missing official font is replaced by the font ``fonts`` (by
    default fontconfig's choice, ``choose_fonts``) names, not by whatever LibreOffice would pick."""
    program = office or require_office()
    fonts = fonts if fonts is not None else choose_fonts()
    with tempfile.TemporaryDirectory(prefix="legalaid-pdf-") as scratch:
        folder = Path(scratch)
        source = folder / "document.docx"
        source.write_bytes(fonts.apply(doc.content))
        command = conversion_command(program, [source], folder)
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(
                f"LibreOffice did not convert {doc.file_name} within {CONVERT_TIMEOUT_SECONDS:.0f} s"
            ) from None
        except OSError as exc:
            raise PdfUnavailable(f"cannot run {program}: {exc.strerror}") from None
        output = folder / "document.pdf"
        if result.returncode != 0 or not output.is_file():
            said = (result.stderr or result.stdout).decode("utf-8", "replace").strip().splitlines()
            detail = said[-1] if said else f"exit status {result.returncode}"
            raise PdfUnavailable(f"LibreOffice could not convert {doc.file_name}: {detail}")
        content = output.read_bytes()
    return replace(
        doc,
        file_name=str(Path(doc.file_name).with_suffix(".pdf")),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        fonts=fonts.describe(),
    )
