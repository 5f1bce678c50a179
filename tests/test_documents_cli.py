"""`legalaid documents render` and `legalaid documents kinds`."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import make_decided_case, make_lawyer
from docx import Document
from sqlalchemy import select

from cli import _common, main
from legalaid.models import GeneratedDocument
from legalaid.models.enums import Decision
from legalaid.runtime import Runtime

CASE_NO = "2012民援第001号"
NOTICE = "指派通知书-2012民援第001号.docx"


@pytest.fixture
def cli_rt(rt: Runtime) -> Iterator[Runtime]:
    """The CLI builds its runtime from the default settings: in the test's folder, rt's database."""
    _common.reset_runtime()
    with rt.transaction() as session:
        make_decided_case(session, case_no=CASE_NO, lawyer=make_lawyer(session, name="李明"))
        make_decided_case(session, case_no="2012民援第002号", decision=Decision.denied)
    yield rt
    _common.reset_runtime()


def _records(rt: Runtime) -> list[GeneratedDocument]:
    with rt.transaction() as session:
        return list(session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id)))


def test_render_writes_the_file_and_records_it(
    cli_rt: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["documents", "render", "assignment_notice", "--case", CASE_NO, "--out", str(out)]) == 0
    path = (out / NOTICE).resolve()
    assert path.is_file()
    assert f"wrote {path}" in capsys.readouterr().out
    assert "李明" in [c.text for c in Document(str(path)).tables[0].column_cells(1)]
    (record,) = _records(cli_rt)
    assert (record.kind, record.locale, record.path, record.size) == (
        "assignment_notice",
        "zh_CN",
        str(path),
        path.stat().st_size,
    )


def test_render_defaults_to_the_documents_folder_and_prints_json(
    cli_rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["documents", "render", "denial_decision", "--case", "2012民援第002号", "--locale", "en"]
    assert main([*args, "--reason", "income above the threshold", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    expected = cli_rt.settings.documents_dir / "Decision to Deny Legal Aid-2012民援第002号.docx"
    assert shown["path"] == str(expected) and expected.is_file()
    assert shown["kind"] == "denial_decision" and shown["locale"] == "en" and len(shown["sha256"]) == 64
    assert shown["id"] == _records(cli_rt)[0].id


def test_dry_run_writes_and_records_nothing(
    cli_rt: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["documents", "render", "grant_decision", "--case", CASE_NO, "--out", str(tmp_path / "out")]
    assert main([*args, "--dry-run"]) == 0
    assert f"would write 给予法律援助决定书-{CASE_NO}.docx" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()
    assert _records(cli_rt) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["summons", "--case", CASE_NO],
            "error: unknown document kind 'summons' (known: assignment_notice, ",
        ),
        (
            ["grant_decision", "--case", "2099民援第999号"],
            "error: no case with case number '2099民援第999号'",
        ),
        (["grant_decision", "--case", CASE_NO, "--locale", "fr"], "error: unknown locale 'fr'"),
        (
            ["grant_decision", "--case", CASE_NO, "--issued-on", "2012-13-01"],
            "error: --issued-on: '2012-13-01'",
        ),
        (["denial_decision", "--case", CASE_NO, "--reason", "x"], f"error: case {CASE_NO} was not denied"),
        (["denial_decision", "--case", "2012民援第002号"], "error: a denial_decision states the reason"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    cli_rt: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["documents", "render", *args, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not (tmp_path / "out").exists() and _records(cli_rt) == []


def _path_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, script: str | None) -> None:
    """PATH holding only a folder with a fake ``soffice`` (or nothing), so the test sees no real one."""
    folder = tmp_path / "bin"
    folder.mkdir()
    if script is not None:
        office = folder / "soffice"
        office.write_text(script, encoding="utf-8")
        office.chmod(office.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(folder))


def test_pdf_without_libreoffice_says_so_and_writes_nothing(
    cli_rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _path_with(monkeypatch, tmp_path, None)
    args = [
        "documents",
        "render",
        "grant_decision",
        "--case",
        CASE_NO,
        "--out",
        str(tmp_path / "out"),
        "--pdf",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: --pdf needs LibreOffice (soffice or libreoffice on PATH), which is not installed"
    )
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists() and _records(cli_rt) == []


FAKE_SOFFICE = """#!/bin/sh
# Stands in for LibreOffice: writes <outdir>/<name>.pdf for the .docx it is given.
while [ $# -gt 0 ]; do
  case "$1" in
    --outdir) outdir="$2"; shift ;;
    *.docx) src="$1" ;;
  esac
  shift
done
name=${src##*/}
name=${name%.docx}
printf '%%PDF-1.4 fake' > "$outdir/$name.pdf"
"""


def test_pdf_with_libreoffice_writes_and_records_both(
    cli_rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _path_with(monkeypatch, tmp_path, FAKE_SOFFICE)
    out = tmp_path / "out"
    args = ["documents", "render", "grant_decision", "--case", CASE_NO, "--out", str(out), "--pdf", "--json"]
    assert main(args) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [Path(item["path"]).name for item in shown] == [
        f"给予法律援助决定书-{CASE_NO}.docx",
        f"给予法律援助决定书-{CASE_NO}.pdf",
    ]
    assert (out / f"给予法律援助决定书-{CASE_NO}.pdf").read_bytes() == b"%PDF-1.4 fake"
    assert [r.path.rsplit(".", 1)[1] for r in _records(cli_rt)] == ["docx", "pdf"]


def test_a_failing_conversion_is_one_line_and_keeps_the_docx(
    cli_rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _path_with(
        monkeypatch, tmp_path, "#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n"
    )
    out = tmp_path / "out"
    args = ["documents", "render", "grant_decision", "--case", CASE_NO, "--out", str(out), "--pdf"]
    assert main(args) == 2
    err = capsys.readouterr().err
    docx = (out / f"给予法律援助决定书-{CASE_NO}.docx").resolve()
    assert err == (
        f"error: LibreOffice could not convert 给予法律援助决定书-{CASE_NO}.docx: "
        f"Error: source file could not be loaded (the .docx is written: {docx})\n"
    )
    assert [r.path.endswith(".docx") for r in _records(cli_rt)] == [True]


def test_kinds_lists_every_kind_and_its_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["documents", "kinds", "--json"]) == 0
    kinds = {row["kind"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(kinds) == {"grant_decision", "denial_decision", "assignment_notice"}
    assert "reason" in kinds["denial_decision"]["variables"]
    assert {"lawyer_name", "firm_name", "firm_address", "firm_email"} <= set(
        kinds["assignment_notice"]["variables"]
    )
    assert kinds["assignment_notice"]["titles"]["zh_CN"] == "指派通知书"
    assert main(["documents", "kinds"]) == 0
    assert "    {{ reason }}  不予法律援助的理由" in capsys.readouterr().out


def test_the_centers_own_templates_are_exported_checked_and_rendered(
    cli_rt: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "our-templates"
    assert main(["templates", "export", str(own)]) == 0
    assert f"copied 83 template files to {own}" in capsys.readouterr().out
    notice = own / "docx" / "zh_CN" / "assignment_notice.docx"
    edited = Document(str(notice))
    edited.add_paragraph("本中心自定义：请于三日内与受援人联系。")
    edited.save(str(notice))
    monkeypatch.setenv("LEGALAID_TEMPLATES_DIR", str(own))

    assert main(["templates", "check"]) == 0  # the configured folder, every template fine
    out = tmp_path / "out"
    assert main(["documents", "render", "assignment_notice", "--case", CASE_NO, "--out", str(out)]) == 0
    paragraphs = [p.text for p in Document(str(out / NOTICE)).paragraphs]
    assert paragraphs[-1] == "本中心自定义：请于三日内与受援人联系。"

    # A template broken in the center's folder is what `templates check` now reports.
    (own / "email" / "zh_CN" / "case_moved.txt").write_text("{{ case_no }", encoding="utf-8")
    capsys.readouterr()
    assert main(["templates", "check"]) == 1
    assert f"error {own / 'email' / 'zh_CN' / 'case_moved.txt'}:1: " in capsys.readouterr().out


def test_export_refuses_a_folder_in_use_and_a_bad_setting_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("ours", encoding="utf-8")
    assert main(["templates", "export", str(used)]) == 2
    err = capsys.readouterr().err
    assert f"FOLDER: {used} is not empty; name a new folder (nothing was copied)" in err
    assert [p.name for p in used.iterdir()] == ["notes.txt"]
    assert main(["templates", "export", str(used / "notes.txt")]) == 2
    assert f"FOLDER: {used / 'notes.txt'} is a file, not a folder" in capsys.readouterr().err

    for value, message in [
        (tmp_path / "missing", f"{tmp_path / 'missing'} is not a folder"),
        (used, f"{used} holds neither docx/ nor email/"),
    ]:
        monkeypatch.setenv("LEGALAID_TEMPLATES_DIR", str(value))
        assert main(["templates", "check"]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and f"LEGALAID_TEMPLATES_DIR: {message}" in lines[0]
