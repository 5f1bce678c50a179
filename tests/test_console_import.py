"""The console's Import page with TestClient on the demo center: a dry run that shows every problem by row
and column with nothing written, a good file checked then confirmed (the same file, kept server-side for
the user who uploaded it), an upload id that is another user's, altered, used or expired, and the CSRF
token and the sign-in the forms need."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api import TestClient, csrf_of
from sqlalchemy import func, select
from test_console_pages import HOSTILE_APPLICANT, HOSTILE_PERSON, Center, make_client, sign_in

from cli.demo.run import run_demo
from legalaid.config import Settings
from legalaid.models import Case
from legalaid.runtime import build_runtime
from web.console import uploads

HOSTILE_FILE = f"{HOSTILE_PERSON}.csv"
GOOD = (
    "案件登记表（2012年10月）\n"  # a title above the header: the page says where the header was found
    "case_no,case_type,applicant,applied_on\n"
    f'2012民援第901号,civil,"{HOSTILE_APPLICANT.replace(chr(34), chr(34) * 2)}",2012-10-08\n'
    "2012民援第902号,criminal,李华,2012-10-09\n"
)
BAD = (
    "case_no,case_type,applicant,applied_on\n"
    "2012民援第903号,civil,王小明,2012-10-08\n"
    "2012民援第904号,civil,李华,2012-13-45\n"
)


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Center:
    settings = Settings(data_dir=tmp_path_factory.mktemp("console-import") / "var")
    run_demo(settings)
    return Center(settings)


@pytest.fixture
def client(center: Center) -> Iterator[TestClient]:
    with make_client(center) as test_client:
        yield test_client


def count_cases(center: Center, prefix: str = "2012民援第9") -> int:
    rt = build_runtime(center.settings)
    with rt.sessions() as session:
        found = session.scalar(select(func.count()).select_from(Case).where(Case.case_no.startswith(prefix)))
    rt.dispose()
    return int(found or 0)


def check(client: TestClient, text: str, *, name: str = HOSTILE_FILE, kind: str = "cases") -> Any:
    page = client.get("/import")
    return client.post(
        "/import/check",
        data={"kind": kind, "csrf_token": csrf_of(page.text)},
        files={"file": (name, text.encode("utf-8"), "text/csv")},
    )


def upload_id(page: str) -> str:
    match = re.search(r'name="upload" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def kept(center: Center) -> list[Path]:
    folder = uploads.root(center.settings)
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(
    "path", ["/import", "/outbox", "/outbox/1", "/outbox?status=dead", "/jobs", "/settings"]
)
def test_every_page_without_a_session_redirects_to_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "path", ["/import/check", "/import/confirm", "/outbox/1/retry", "/outbox/retry-dead", "/jobs/retry"]
)
def test_every_form_needs_a_session_and_its_csrf_token(center: Center, client: TestClient, path: str) -> None:
    post = client.post
    assert post(path, data={}, follow_redirects=False).status_code == 303
    assert sign_in(client, center.admin).status_code == 303
    assert post(path, data={}).status_code == 403
    assert post(path, data={"csrf_token": "forged"}).status_code == 403


def test_the_import_form_lists_the_kinds(center: Center, client: TestClient) -> None:
    sign_in(client, center.staff)
    page = client.get("/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    for kind in ("firms", "people", "cases", "consultations", "roster", "leave"):
        assert f'<option value="{kind}"' in page.text


def test_a_bad_row_is_shown_by_row_and_column_and_nothing_is_written(
    center: Center, client: TestClient
) -> None:
    sign_in(client, center.staff)
    before = count_cases(center)
    page = check(client, BAD)
    assert page.status_code == 422
    text = page.text
    assert "文件有问题，未导入" in text and "未写入任何数据" in text
    row = re.search(r"<tr><td>(\d+)</td><td>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", text)
    assert row is not None and row.group(1, 2) == ("3", "applied_on"), text
    assert "欧阳&amp;&lt;娜&gt;.csv" in text and HOSTILE_PERSON not in text
    assert 'name="upload"' not in text  # nothing to confirm
    assert count_cases(center) == before and kept(center) == []  # a bad file is not kept


def test_an_unreadable_file_is_one_line_and_nothing_kept(center: Center, client: TestClient) -> None:
    sign_in(client, center.staff)
    page = check(client, "not a table", name="notes.txt")
    assert page.status_code == 422 and "notes.txt" in page.text
    assert kept(center) == []
    unknown = check(client, GOOD, kind="../cases")
    assert unknown.status_code == 422 and "请选择导入类别" in unknown.text


def test_a_good_file_is_checked_then_confirmed(center: Center, client: TestClient) -> None:
    sign_in(client, center.staff)
    before = count_cases(center)
    page = check(client, GOOD)
    text = page.text
    assert page.status_code == 200, text
    assert "检查通过，尚未写入" in text and "header found on row 2" in text
    assert re.search(r"<th>新增</th><td>2</td>", text)
    assert count_cases(center) == before  # the dry run wrote nothing
    (folder,) = kept(center)
    assert folder.name == upload_id(text) and (folder / "file" / HOSTILE_FILE).is_file()

    done = client.post("/import/confirm", data={"upload": upload_id(text), "csrf_token": csrf_of(text)})
    assert done.status_code == 200, done.text
    assert "已导入" in done.text and re.search(r"<th>新增</th><td>2</td>", done.text)
    assert "已排队的通知: 0" in done.text
    assert count_cases(center) == before + 2 and kept(center) == []
    again = client.post("/import/confirm", data={"upload": upload_id(text), "csrf_token": csrf_of(text)})
    assert again.status_code == 404 and "上传的文件已不存在" in again.text
    assert count_cases(center) == before + 2


def test_an_upload_is_bound_to_its_user_and_its_id(center: Center, client: TestClient) -> None:
    sign_in(client, center.staff)
    page = check(client, GOOD.replace("901", "911").replace("902", "912"))
    upload = upload_id(page.text)
    before = count_cases(center)
    with make_client(center) as other:
        sign_in(other, center.admin)
        token = csrf_of(other.get("/import").text)
        for given in (upload, "../" + upload, upload[:-1] + ("A" if upload[-1] != "A" else "B"), "x/../y"):
            refused = other.post("/import/confirm", data={"upload": given, "csrf_token": token})
            assert refused.status_code == 404, given
    assert count_cases(center) == before and len(kept(center)) == 1
    # An hour later the upload is gone, confirmed or not.
    (folder,) = kept(center)
    old = time.time() - uploads.KEEP - 1
    os.utime(folder, (old, old))
    token = csrf_of(page.text)
    late = client.post("/import/confirm", data={"upload": upload, "csrf_token": token})
    assert late.status_code == 404 and kept(center) == [] and count_cases(center) == before
