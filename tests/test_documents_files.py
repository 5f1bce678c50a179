"""Output names made safe from case numbers and names; writing and recording a document."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from builders import make_decided_case, make_lawyer
from sqlalchemy import select

from legalaid.documents import UnsafeOutputPath, render_document, safe_file_name, save_document
from legalaid.models import GeneratedDocument
from legalaid.runtime import Runtime


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        ".",
        "a/b\\c",
        "C:\\Windows\\system32",
        "nul\x00byte",
        "tab\tnewline\nbell\x07del\x7f",
        "x" * 300,
        "张" * 300,
        "😀" * 300,
        "CON",
        "com1.txt",
        ".hidden",
        "   ",
        "",
        "name.",
        "report\u202egpj.exe",  # right-to-left override disguising the extension
        'a<b>c:d"e|f?g*h',
        "line\u2028separator",
    ],
)
def test_hostile_names_become_one_safe_name(tmp_path: Path, name: str) -> None:
    safe = safe_file_name(name)
    assert safe.endswith(".docx")
    assert len(safe.encode("utf-8")) <= 200
    assert not any(c in safe for c in '/\\:*?"<>|')
    assert all(c >= " " and c != "\x7f" for c in safe)
    assert not safe.startswith(".")
    assert "\u202e" not in safe
    assert safe.split(".")[0].upper() not in {"CON", "COM1", "NUL"}
    target = (tmp_path / safe).resolve()
    assert target.parent == tmp_path.resolve()
    assert target.is_relative_to(tmp_path.resolve())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("指派通知书-2012民援第001号", "指派通知书-2012民援第001号.docx"),
        ("指派通知书-（2012）民援字第1号", "指派通知书-（2012）民援字第1号.docx"),
        ("Notice of Assignment-2012/15", "Notice of Assignment-2012_15.docx"),
        ("../../etc/passwd", "_.._etc_passwd.docx"),
        ("", "document.docx"),
        ("con", "_con.docx"),
    ],
)
def test_safe_names_keep_what_is_safe(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_a_long_chinese_name_is_cut_at_a_character(tmp_path: Path) -> None:
    safe = safe_file_name("指" * 300)
    assert safe == "指" * 65 + ".docx"  # 65 × 3 bytes + 5 ≤ 200
    (tmp_path / safe).write_bytes(b"")  # and the file system takes it


def test_save_writes_records_and_never_overwrites(rt: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with rt.transaction() as session:
        case = make_decided_case(session, case_no="2012民援第001号", lawyer=make_lawyer(session))
        doc = render_document(session, kind="assignment_notice", case_no=case.case_no, locale="zh_CN")
        first = save_document(session, doc, out)
        again = save_document(session, doc, out)  # the same bytes: recorded again, written once
        changed = replace(
            doc, content=doc.content + b"\0", sha256=hashlib.sha256(doc.content + b"\0").hexdigest()
        )
        other = save_document(session, changed, out)
        case_id = case.id
    path = out.resolve() / "指派通知书-2012民援第001号.docx"
    assert Path(first.path) == path and Path(again.path) == path
    assert path.read_bytes() == doc.content
    assert Path(other.path) == out.resolve() / "指派通知书-2012民援第001号-2.docx"
    assert sorted(p.name for p in out.iterdir()) == [
        "指派通知书-2012民援第001号-2.docx",
        "指派通知书-2012民援第001号.docx",
    ]
    with rt.transaction() as session:
        rows = session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id)).all()
    assert [(r.kind, r.case_id, r.locale, r.sha256, r.size) for r in rows[:1]] == [
        ("assignment_notice", case_id, "zh_CN", doc.sha256, len(doc.content))
    ]
    assert len(rows) == 3 and rows[0].created_at.tzinfo is not None


def test_a_case_number_with_separators_stays_in_the_folder(rt: Runtime, tmp_path: Path) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session, case_no="../../../tmp/evil\\x")
        doc = render_document(session, kind="grant_decision", case_no=case.case_no, locale="zh_CN")
        record = save_document(session, doc, tmp_path / "out")
    assert doc.file_name == "给予法律援助决定书-.._.._.._tmp_evil_x.docx"
    assert Path(record.path).parent == (tmp_path / "out").resolve()


def test_a_symlink_out_of_the_folder_is_refused(rt: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.docx"
    elsewhere.write_bytes(b"precious")
    with rt.transaction() as session:
        case = make_decided_case(session, case_no="2012民援第009号")
        doc = render_document(session, kind="grant_decision", case_no=case.case_no, locale="zh_CN")
        (out / doc.file_name).symlink_to(elsewhere)
        with pytest.raises(UnsafeOutputPath, match="would be written outside"):
            save_document(session, doc, out)
    assert elsewhere.read_bytes() == b"precious"


def test_a_hostile_file_name_given_directly_is_made_safe(rt: Runtime, tmp_path: Path) -> None:
    with rt.transaction() as session:
        case = make_decided_case(session)
        doc = render_document(session, kind="grant_decision", case_no=case.case_no, locale="zh_CN")
        record = save_document(session, replace(doc, file_name="../../escape.docx"), tmp_path / "out")
    assert Path(record.path) == (tmp_path / "out" / "escape.docx").resolve()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_document_is_written_as_the_umask_says(rt: Runtime, tmp_path: Path, umask: int, mode: int) -> None:
    """Issue 12: documents were 0600 whatever the umask: the staff sharing the folder could not open them."""
    with rt.transaction() as session:
        case = make_decided_case(session)
        doc = render_document(session, kind="grant_decision", case_no=case.case_no, locale="zh_CN")
    previous = os.umask(umask)
    try:
        with rt.transaction() as session:
            record = save_document(session, doc, tmp_path / "out")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(Path(record.path).stat().st_mode) == mode
