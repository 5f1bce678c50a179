"""Every kind round-trips through every encoding and XLSX, with English or Chinese headers and values."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from factories import FORMATS, SAMPLES, dump, expected, load, load_prerequisites, write_file

from legalaid.importing import KINDS, import_file, kind_headers, write_csv
from legalaid.importing._values import count, day, list_of, one_of, yes_no
from legalaid.models.enums import CaseType, ConsultationChannel, RecipientGroup
from legalaid.runtime import Runtime


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip(rt: Runtime, tmp_path: Path, kind: str, fmt: str) -> None:
    load_prerequisites(rt, tmp_path, kind)
    path = write_file(tmp_path, kind, SAMPLES[kind], fmt=fmt)

    first = import_file(rt, kind, path)
    assert (first.rows, first.inserted, first.updated) == (len(SAMPLES[kind]), len(SAMPLES[kind]), 0)
    assert dump(rt, kind) == expected(kind)

    again = import_file(rt, kind, path)  # the same file again changes nothing
    if kind == "consultations":
        assert again.skipped_reason is not None and again.inserted == 0
    else:
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(SAMPLES[kind]))
    assert dump(rt, kind) == expected(kind)


CHINESE: dict[str, list[dict[str, str]]] = {
    "firms": [
        {"代码": "F01", "名称": "明理律师事务所", "类型": "律师事务所",
         "邮箱": "office@mingli.example.cn", "负责人": "L001", "受理点": "是"},
        {"代码": "S01", "名称": "城关基层法律服务所", "类型": "基层法律服务所", "受理点": "否"},
    ],
    "people": [
        {"编号": "L001", "姓名": "王律师", "邮箱": "wang@mingli.example.cn", "电话": "0571-88001234",
         "所属机构": "F01", "身份": "律师", "仲裁值班": "是", "在职": "是"},
        {"编号": "L002", "姓名": "李律师", "邮箱": "li@mingli.example.cn", "电话": "13800138000",
         "所属机构": "F01", "身份": "律师", "仲裁值班": "y", "在职": "1"},
        {"编号": "W001", "姓名": "赵法律工作者", "所属机构": "S01", "身份": "基层法律服务工作者",
         "仲裁值班": "否", "在职": "true"},
        {"编号": "S001", "姓名": "陈科员", "邮箱": "chen@center.example.cn", "身份": "工作人员",
         "仲裁值班": "n", "在职": "是"},
        {"编号": "D001", "姓名": "周主任", "邮箱": "zhou@center.example.cn", "身份": "领导",
         "仲裁值班": "FALSE", "在职": "0"},
    ],
    "cases": [
        {"案号": "2012援001", "案件类型": "民事", "案由": "追索劳动报酬", "受援人": "张三",
         "受援人类别": "外来务工人员、残疾人", "受理渠道": "仲裁咨询点", "申请日期": "2012年3月1日",
         "时效届满日期": "2013/02/28", "审查决定日期": "2012/3/5", "决定": "给予",
         "指派日期": "2012-03-06", "承办人": "L001", "首次联系日期": "2012年03月08日",
         "最近进展日期": "2012-04-01", "下次开庭日期": "2012-05-10", "办结日期": "2012-06-01",
         "结案材料提交日期": "2012-06-20", "回访日期": "2012-07-01"},
        {"案号": "2012援002", "案件类型": "刑事", "案由": "盗窃", "受援人": "李四",
         "受援人类别": "未成年人", "受理渠道": "中心", "申请日期": "2012-04-02",
         "审查决定日期": "2012-04-02", "决定": "给予", "指派日期": "2012-04-03", "承办人": "W001"},
        {"案号": "2012援003", "案件类型": "行政", "受援人": "王五", "受理渠道": "F01",
         "申请日期": "2012-05-07", "审查决定日期": "2012-05-09", "决定": "不予"},
        {"案号": "2012援004", "案件类型": "民事", "案由": "交通事故", "受援人": "赵六",
         "受援人类别": "老年人；妇女", "申请日期": "2012-06-11"},
    ],
    "consultations": [
        {"日期": "2012-03-01", "渠道": "148热线", "结果": "解答", "接待人": "S001", "事由": "工资拖欠",
         "件数": "12"},
        {"日期": "2012-03-01", "渠道": "仲裁咨询点", "结果": "转为援助案件", "接待人": "L001",
         "事由": "工伤"},
        {"日期": "2012年3月2日", "渠道": "来访", "结果": "转介", "件数": "3"},
    ],
    "roster": [
        {"日期": "2012-10-08", "班次": "上午", "值班人": "L001"},
        {"日期": "2012-10-08", "班次": "下午", "值班人": "L002"},
        {"日期": "2012-10-09", "班次": "全天", "值班人": "L001"},
    ],
    "leave": [
        {"人员": "L001", "开始": "2012-10-15", "结束": "2012-10-19", "事由": "年休假"},
        {"人员": "L002", "开始": "2012-11-01", "结束": "2012-11-01"},
    ],
}  # fmt: skip


@pytest.mark.parametrize("fmt", ["gb18030", "xlsx"])
def test_chinese_headers_and_labels(rt: Runtime, tmp_path: Path, fmt: str) -> None:
    for kind in KINDS:  # in order: firms, then people, then what refers to them
        path = write_file(tmp_path, kind, CHINESE[kind], fmt=fmt, headers=kind_headers(kind, chinese=True))
        import_file(rt, kind, path)
        assert dump(rt, kind) == expected(kind), kind


def test_headers_may_mix_languages_and_leave_out_optional_columns(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    write_csv(path, ["Code", "名称", "kind"], [{"Code": "F09", "名称": "新所", "kind": "law_firm"}])
    import_file(rt, "firms", path)
    assert dump(rt, "firms") == [
        {"code": "F09", "name": "新所", "kind": "law_firm", "email": None, "address": None,
         "director": None, "accepts_applications": False}
    ]  # fmt: skip


def test_a_column_left_out_is_left_alone_and_an_empty_cell_clears(rt: Runtime, tmp_path: Path) -> None:
    load(rt, tmp_path, "firms", "people")
    write_csv(
        tmp_path / "p.csv", ["code", "name", "role"], [{"code": "L001", "name": "王大律师", "role": "lawyer"}]
    )
    import_file(rt, "people", tmp_path / "p.csv")
    write_csv(
        tmp_path / "q.csv",
        ["code", "name", "role", "phone"],
        [{"code": "L002", "name": "李律师", "role": "律师"}],
    )
    import_file(rt, "people", tmp_path / "q.csv")
    people = {row["code"]: row for row in dump(rt, "people")}
    assert people["L001"]["name"] == "王大律师" and people["L001"]["phone"] == "0571-88001234"
    assert people["L002"]["phone"] is None


def test_xlsx_cells_typed_as_numbers_and_booleans(rt: Runtime, tmp_path: Path) -> None:
    load(rt, tmp_path, "firms")
    rows = [{"code": 1001, "name": "数字编号", "role": "lawyer", "phone": 13800138000, "firm": "F01",
             "desk_pool": True, "active": 1.0}]  # fmt: skip
    path = write_file(tmp_path, "people", rows, fmt="xlsx", headers=list(rows[0]))
    import_file(rt, "people", path)
    assert dump(rt, "people") == [
        {"code": "1001", "name": "数字编号", "email": None, "phone": "13800138000", "firm": "F01",
         "role": "lawyer", "desk_pool": True, "active": True}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("2012-10-08", date(2012, 10, 8)),
        ("2012/10/08", date(2012, 10, 8)),
        ("2012/1/8", date(2012, 1, 8)),
        ("2012年10月8日", date(2012, 10, 8)),
        ("2012年1月08日", date(2012, 1, 8)),
        (datetime(2012, 10, 8), date(2012, 10, 8)),
        (date(2012, 10, 8), date(2012, 10, 8)),
    ],
)
def test_dates(cell: str | date, value: date) -> None:
    assert day(cell) == value


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2012-02-30", "not a date: '2012-02-30' (day is out of range for month)"),
        ("2012-13-01", "not a date: '2012-13-01' (month must be in 1..12)"),
        ("20121008", "not a date: '20121008' (use YYYY-MM-DD)"),
        ("2012-W40-1", "not a date: '2012-W40-1' (use YYYY-MM-DD)"),
        ("2012-10/08", "not a date: '2012-10/08' (use YYYY-MM-DD)"),
        ("08/10/2012", "not a date: '08/10/2012' (use YYYY-MM-DD)"),
        (datetime(2012, 10, 8, 9, 30), "a date and time, expected a date: '2012-10-08 09:30:00'"),
        (41190, "not a date: '41190' (use YYYY-MM-DD)"),
    ],
)
def test_bad_dates(cell: str | datetime | int, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        day(cell)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("cell", "value"),
    [("yes", True), ("是", True), ("Y", True), ("true", True), ("1", True), (1, True), (True, True),
     ("no", False), ("否", False), ("n", False), ("FALSE", False), ("0", False), (0, False), (False, False)],
)  # fmt: skip
def test_yes_no(cell: str | int | bool, value: bool) -> None:
    assert yes_no(cell) is value


def test_vocabularies() -> None:
    assert one_of(CaseType)("Civil") is CaseType.civil
    assert one_of(CaseType)("刑事") is CaseType.criminal
    assert one_of(ConsultationChannel)("12348") is ConsultationChannel.hotline_12348
    parse = list_of(RecipientGroup)
    assert parse("农民工;残疾人、minor；老年人,women，农民工") == (
        RecipientGroup.migrant_worker,
        RecipientGroup.disabled,
        RecipientGroup.minor,
        RecipientGroup.elderly,
        RecipientGroup.women,
    )
    with pytest.raises(ValueError, match=r"unknown value '学生' \(one of migrant_worker/农民工, "):
        parse("农民工、学生")


@pytest.mark.parametrize(("cell", "value"), [("3", 3), (3, 3), (3.0, 3), ("100000", 100000)])
def test_counts(cell: str | int | float, value: int) -> None:
    assert count(cell) == value


@pytest.mark.parametrize("cell", ["0", "-1", "1.5", 1.5, "三", "100001", "²"])
def test_bad_counts(cell: str | float) -> None:
    with pytest.raises(ValueError):
        count(cell)
