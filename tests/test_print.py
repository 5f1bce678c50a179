"""The print test: one document of every kind, converted to PDF by LibreOffice, checked as a center prints it.

Every page A4 in the orientation its kind is meant for; a 决定书 or 通知书 on exactly one page, and no other
document ending on a page that holds only its 落款 (the issuer and the date, where the seal goes); no template
tag left in the text; and the text layer holding the key Chinese strings of each kind, so no text was lost to
a missing font. All files go through ONE LibreOffice run (starting it is most of the time), in a private
profile so parallel runs do not collide. The first page of each PDF is kept as a PNG for a person to look at:
the folder is printed, and named in every failure.

Needs soffice, pdftoppm and a Chinese font: outside CI the module skips without them; under
LEGALAID_REQUIRE_SERVICES=1 (CI, whose .ci/run installs them) it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from print_samples import Sample, build_samples
from pypdf import PdfReader
from required import service_missing

from legalaid.documents import find_office
from legalaid.documents.pdf import conversion_command

KINDS = [
    "grant_decision",
    "denial_decision",
    "notice_civil",
    "notice_criminal",
    "notice_legal_service_office",
    "grant_decision_en",
    "denial_decision_en",
    "notice_civil_en",
    "report_annual",
    "report_quarterly",
    "report_firm",
    "rota_docx",
    "rota_xlsx",
]
A4 = (595.28, 841.89)  # points, portrait
TOLERANCE = 2.0
# A4 as the files say it: Word in twentieths of a point (w:pgSz), Excel as paper size code 9 (pageSetup).
A4_TWIPS = (11906, 16838)
TWIPS_TOLERANCE = 40
XLSX_A4 = "9"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CONVERT_TIMEOUT_SECONDS = 180
TEMPLATE_TAGS = ("{{", "}}", "{%", "%}")
# What a 落款 is made of: the issuer (the center), the date in figures or in Chinese numerals, and the words
# around them; a page number. A last page with nothing else on it is a page for the seal alone.
_DATE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九十]{4}年[〇一二三四五六七八九十]{1,2}月[〇一二三四五六七八九十]{1,3}日|\d{4}-\d{2}-\d{2}"
)
_PAGE_NUMBER = re.compile(
    r"第\s*\d+\s*页(\s*/?\s*共\s*\d+\s*页)?|[-—－]\s*\d+\s*[-—－]|^\s*\d+\s*$", re.MULTILINE
)
_SEAL_WORDS = ("（盖章）", "(盖章)", "数据截至", "特此通知", "此致")


@dataclass(frozen=True)
class Printed:
    """A sample and its PDF: the pages' sizes in points (width, height) and their text."""

    sample: Sample
    pdf: Path
    sizes: list[tuple[float, float]]
    texts: list[str]
    fonts: list[str]  # the fonts embedded, e.g. NotoSansCJKjp-Regular
    renders: Path  # the folder of the PNG first pages

    def where(self) -> str:
        return f"{self.sample.kind}: {self.pdf} (first pages as PNG in {self.renders})"


def _missing_tools() -> str | None:
    if find_office() is None:
        return (
            "LibreOffice (soffice) is not on PATH; .ci/run installs libreoffice-writer-nogui and -calc-nogui"
        )
    if shutil.which("pdftoppm") is None:
        return "pdftoppm is not on PATH; .ci/run installs poppler-utils"
    chinese = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    if not chinese.stdout.strip():
        return "no Chinese font is installed (fc-list :lang=zh); .ci/run installs fonts-noto-cjk"
    return None


def _convert(office: str, sources: list[Path], folder: Path) -> None:
    """All ``sources`` to PDF in ``folder`` with one LibreOffice run, in a private profile."""
    command = conversion_command(office, sources, folder)
    result = subprocess.run(command, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS, check=False)
    assert result.returncode == 0, (
        f"LibreOffice failed ({result.returncode}): {result.stderr.decode()[-2000:]}"
    )


def _read(sample: Sample, pdf: Path, renders: Path) -> Printed:
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {sample.kind} ({sample.path})"
    reader = PdfReader(pdf)
    sizes = []
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        sizes.append((height, width) if page.rotation % 180 else (width, height))
    texts = [page.extract_text() or "" for page in reader.pages]
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf), str(renders / sample.kind)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Printed(sample, pdf, sizes, texts, _fonts(reader), renders)


def _fonts(reader: PdfReader) -> list[str]:
    """The fonts the pages use, without the subset tag: ``NotoSansCJKjp-Regular``, …"""
    names = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for font in (fonts.get_object() if fonts is not None else {}).values():
            names.add(str(font.get_object().get("/BaseFont", "?")).lstrip("/").split("+")[-1])
    return sorted(names)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Printed]]:
    """Every sample built, converted in one LibreOffice run and read back, by kind."""
    missing = _missing_tools()
    if missing:
        service_missing("the print tools", missing)
    office = find_office()
    assert office is not None
    folder = tmp_path_factory.mktemp("print")
    with pytest.MonkeyPatch.context() as patch:
        # Built as conftest's runtime is: without the developer's settings, in a folder of its own.
        for name in [n for n in os.environ if n.startswith("LEGALAID_")]:
            patch.delenv(name)
        patch.chdir(folder)
        samples = build_samples(folder)
    # Each file under its kind's name: the rota's .docx and .xlsx share a stem, and so would their PDFs.
    sources = folder / "sources"
    pdfs, renders = folder / "pdf", folder / "png"
    for made in (sources, pdfs, renders):
        made.mkdir()
    for sample in samples:
        shutil.copyfile(sample.path, sources / f"{sample.kind}{sample.path.suffix}")
    _convert(office, sorted(sources.iterdir()), pdfs)
    shutil.rmtree(pdfs / "profile", ignore_errors=True)
    result = {sample.kind: _read(sample, pdfs / f"{sample.kind}.pdf", renders) for sample in samples}
    assert sorted(result) == sorted(KINDS)
    print(f"print test: PDFs in {pdfs}, first pages as PNG in {renders}")
    for kind, doc in result.items():
        sizes = ", ".join(sorted({f"{w:.1f}×{h:.1f}" for w, h in doc.sizes}))
        print(f"  {kind}: {len(doc.sizes)} page(s) of {sizes} pt; fonts {', '.join(doc.fonts)}")
    yield result


def _compact(text: str) -> str:
    """The text without whitespace: a PDF's text layer breaks lines and spaces CJK text as it likes."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_is_a4(printed: dict[str, Printed], kind: str) -> None:
    doc = printed[kind]
    want = (A4[1], A4[0]) if doc.sample.landscape else A4
    orientation = "landscape" if doc.sample.landscape else "portrait"
    wrong = [
        f"page {number}: {width:.1f}×{height:.1f} pt"
        for number, (width, height) in enumerate(doc.sizes, 1)
        if abs(width - want[0]) > TOLERANCE or abs(height - want[1]) > TOLERANCE
    ]
    assert not wrong, f"{doc.where()}: not A4 {orientation} ({want[0]}×{want[1]} pt): {'; '.join(wrong)}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_file_itself_asks_for_a4(printed: dict[str, Printed], kind: str) -> None:
    """The paper is the file's own, not the converting machine's default (A4 here, Letter on another)."""
    doc = printed[kind]
    source = doc.sample.path
    asked = _docx_pages(source) if source.suffix == ".docx" else _xlsx_pages(source)
    want = "landscape" if doc.sample.landscape else "portrait"
    wrong = [f"{where}: {what}" for where, what in asked if what != f"A4 {want}"]
    assert asked and not wrong, (
        f"{doc.where()}: {source.name} does not ask for A4 {want}: {wrong or 'no paper'}"
    )


def _docx_pages(path: Path) -> list[tuple[str, str]]:
    """Each section's paper as the Word file states it: ``A4 portrait``, ``12240×15840 twips`` (Letter), …."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    found = []
    for number, size in enumerate(root.iter(f"{_W}pgSz"), 1):
        width, height = int(size.get(f"{_W}w", "0")), int(size.get(f"{_W}h", "0"))
        short, long = sorted((width, height))
        a4 = abs(short - A4_TWIPS[0]) <= TWIPS_TOLERANCE and abs(long - A4_TWIPS[1]) <= TWIPS_TOLERANCE
        what = f"A4 {'landscape' if width > height else 'portrait'}" if a4 else f"{width}×{height} twips"
        found.append((f"section {number}", what))
    return found


def _xlsx_pages(path: Path) -> list[tuple[str, str]]:
    """Each sheet's paper as the workbook states it (paper size code 9 is A4; none: the printer's default)."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")):
            setup = ElementTree.fromstring(archive.read(name)).find(f"{_X}pageSetup")
            paper = setup.get("paperSize") if setup is not None else None
            orientation = (setup.get("orientation") if setup is not None else None) or "portrait"
            what = f"A4 {orientation}" if paper == XLSX_A4 else f"paper size {paper or 'not set'}"
            found.append((Path(name).stem, what))
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_page_count(printed: dict[str, Printed], kind: str) -> None:
    doc = printed[kind]
    if doc.sample.one_page:
        assert len(doc.texts) == 1, (
            f"{doc.where()}: {len(doc.texts)} pages, a 决定书 or 通知书 is one; "
            f"page {len(doc.texts)} holds only {_compact(doc.texts[-1])!r}"
        )
        return
    rest = _beyond_the_signature(doc.texts[-1], center=_center(doc))
    assert rest, (
        f"{doc.where()}: the last of {len(doc.texts)} pages holds only the 落款 ({_compact(doc.texts[-1])!r})"
    )


def _center(doc: Printed) -> str:
    """The issuing center's name, from the sample's strings (the xlsx rota does not list it)."""
    return next((s for s in doc.sample.strings if s.endswith("法律援助中心")), "法律援助中心")


def _beyond_the_signature(text: str, *, center: str) -> str:
    """What a page holds besides a 落款: its letters and digits once the issuer, dates, page numbers and the
    words around a signature are taken out."""
    for part in (center, *_SEAL_WORDS):
        text = text.replace(part, "")
    text = _PAGE_NUMBER.sub("", _DATE.sub("", text))
    return re.sub(r"[\W_]", "", text)


@pytest.mark.parametrize("kind", KINDS)
def test_no_template_tag_is_left(printed: dict[str, Printed], kind: str) -> None:
    doc = printed[kind]
    text = "\n".join(doc.texts)
    left = [tag for tag in TEMPLATE_TAGS if tag in text]
    assert not left, f"{doc.where()}: template tags {left} in the printed text"


@pytest.mark.parametrize("kind", KINDS)
def test_the_text_layer_holds_the_key_strings(printed: dict[str, Printed], kind: str) -> None:
    doc = printed[kind]
    text = _compact("".join(doc.texts))
    missing = [s for s in doc.sample.strings if _compact(s) not in text]
    assert not missing, (
        f"{doc.where()}: {missing} not in the printed text (fonts {doc.fonts}): {text[:300]!r}"
    )
