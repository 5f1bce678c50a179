"""File names built from data never leave their output folder: whatever a case number, a firm's name, an
idempotency key or a given file name holds (``../../etc/passwd``, an absolute path, NUL, only dots, CON,
a name of 300 characters, ``/`` and ``\\``), ``legalaid.paths`` makes it one safe name, and the files the
service writes under such names land in their folder.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bad_input import examples
from builders import make_decided_case, make_reports_center
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from legalaid.documents import KINDS, document_file_name, render_document, save_document
from legalaid.documents.files import write_file
from legalaid.mail.compose import ComposedMail
from legalaid.mail.transports import FileTransport
from legalaid.models import Firm
from legalaid.paths import MAX_NAME_BYTES, UnsafeOutputPath, path_inside, safe_file_name
from legalaid.reports import ReportRequest, produce_report, statistical_year
from legalaid.runtime import Runtime

HOSTILE = [
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\system32",
    "C:\\boot.ini",
    "a\x00b",
    ".",
    "..",
    "...",
    ". .",
    "",
    " ",
    "CON",
    "con.txt",
    "NUL .docx",
    "COM¹",
    "LPT9.log",
    "CONIN$",
    "x" * 300,
    "指" * 300,
    "😀" * 100,
    "a/b\\c",
    "\u202egpj.exe",
    "\udcff\udcfe",
    "~",
    "-rf",
]
names = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300))
suffixes = st.sampled_from([".docx", ".xlsx", ".eml", ".pdf", ".ics", ""])
_FORBIDDEN = set('/\\:*?"<>|')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "123456789¹²³"
}


def assert_safe(name: str, suffix: str, folder: Path) -> None:
    assert name.endswith(suffix) and len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not (set(name) & _FORBIDDEN), name
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name), name
    assert not name.startswith((".", " ")) and name.strip(". ") != suffix.strip("."), name
    assert name.split(".")[0].strip().upper() not in _RESERVED, name
    target = path_inside(folder, name)
    assert target.parent == folder.resolve()
    # And this file system takes it: written, found, removed.
    target.write_bytes(b"x")
    assert [p.name for p in folder.iterdir()] == [name]
    target.unlink()


@examples(150)
@given(name=names, suffix=suffixes)
@example(name="../../etc/passwd", suffix=".docx")
@example(name="\x00", suffix="")
def test_any_name_becomes_one_safe_name_in_its_folder(tmp_path: Path, name: str, suffix: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)
    assert_safe(safe_file_name(name, suffix=suffix), suffix, folder)


@examples(150)
@given(name=st.one_of(names, st.sampled_from(["a/../b", "sub/x", "/tmp/x", "link"])))
def test_path_inside_gives_a_file_in_the_folder_or_refuses(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)
    link = folder / "link"
    if not link.is_symlink():
        link.symlink_to(tmp_path / "elsewhere")  # a symlink already in the folder, pointing out of it
    try:
        target = path_inside(folder, name)
    except UnsafeOutputPath as exc:
        assert str(folder.resolve()) in str(exc)  # the message names the folder
    else:
        assert target.parent == folder.resolve() and not target.is_symlink()


@pytest.mark.parametrize(
    "name", ["../x", "/etc/passwd", "..", ".", "", "a\x00b", "link", "sub/../../x", "x" * 300]
)
def test_path_inside_refuses(tmp_path: Path, name: str) -> None:
    (tmp_path / "link").symlink_to("/etc")
    with pytest.raises(UnsafeOutputPath):
        path_inside(tmp_path, name)


@examples(60)
@given(name=names, content=st.binary(max_size=10))
def test_write_file_writes_in_its_folder_whatever_the_name(tmp_path: Path, name: str, content: bytes) -> None:
    folder = tmp_path / "documents"
    path = write_file(folder, name, content)
    assert path.parent == folder.resolve() and path.read_bytes() == content


@examples(100)
@given(case_no=names)
def test_a_case_number_gives_a_safe_document_name(tmp_path: Path, case_no: str) -> None:
    for kind in KINDS.values():
        assert_safe(document_file_name(kind, case_no=case_no, locale="zh_CN"), ".docx", tmp_path)


@examples(60)
@given(key=names, outbox_id=st.integers(1, 2**63 - 1))
def test_an_eml_file_lands_in_its_day_folder(tmp_path: Path, key: str, outbox_id: int) -> None:
    """The file transport names a message's file after its idempotency key (a case number in it)."""
    folder = tmp_path / "mail"
    transport = FileTransport(folder, clock=lambda: datetime(2012, 10, 8, 1, tzinfo=UTC))
    mail = ComposedMail(
        outbox_id=outbox_id,
        key=key,
        message_id=f"<{outbox_id}@example.cn>",
        envelope_from="center@example.cn",
        recipients=("wang@example.cn",),
        data=b"Subject: x\r\n\r\nbody\r\n",
    )
    path = transport.path_for(mail)
    assert path.parent == (folder / "2012-10-08").resolve()
    assert path.name.endswith(".eml") and len(path.name.encode("utf-8")) <= 255
    assert transport.send(mail) is None and path.read_bytes() == mail.data
    path.unlink()


def test_a_document_for_a_hostile_case_number_stays_in_the_folder(rt: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with rt.transaction() as session:
        case = make_decided_case(session, case_no="../../../../tmp/CON")
        doc = render_document(session, kind="grant_decision", case_no=case.case_no, locale="zh_CN")
        record = save_document(session, doc, out)
    assert Path(record.path).parent == out.resolve()
    assert Path(record.path).name == "给予法律援助决定书-.._.._.._.._tmp_CON.docx"


# Names as an import lets them in: up to the column's 200 characters, no control characters.
@pytest.mark.parametrize("name", ["../../../etc/cron.d/x", "CON", "所" * 200])
def test_a_firm_report_for_a_hostile_firm_name_stays_in_the_folder(
    rt: Runtime, tmp_path: Path, name: str
) -> None:
    with rt.transaction() as session:
        make_reports_center(session)
        session.scalars(select(Firm).where(Firm.code == "F1")).one().name = name
    out = tmp_path / "reports"
    request = ReportRequest("firm", statistical_year(2012, start_month=1), "F1")
    result = produce_report(rt, request, as_of=date(2013, 1, 15), out_dir=out, send=False, resend=False)
    assert len(result.files) == 2
    assert all(path.parent == out.resolve() and path.exists() for path in result.files), result.files
    assert sorted(p.name for p in out.iterdir()) == sorted(path.name for path in result.files)
