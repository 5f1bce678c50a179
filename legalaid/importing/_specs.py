"""The columns and keys of the six kinds, as the README's import format gives them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from legalaid.importing import _values as v
from legalaid.importing._columns import Column, KindSpec
from legalaid.models import enums

_intake_channel = v.spellings(enums.IntakeChannel)


def choice(name: str, zh: str, vocabulary: type[StrEnum], **options: Any) -> Column:
    """A column taking one code of ``vocabulary``, by its value, its Chinese label or an alias."""
    return Column(name, zh, v.one_of(vocabulary), vocabulary=vocabulary, **options)


def choices(name: str, zh: str, vocabulary: type[StrEnum], **options: Any) -> Column:
    """A column taking a list of codes of ``vocabulary`` (``农民工;残疾人``)."""
    return Column(name, zh, v.list_of(vocabulary), vocabulary=vocabulary, **options)


def intake(cell: v.CellValue) -> str:
    """An intake channel (center 中心, arbitration_desk 仲裁咨询点, workstation 工作站) or a firm code.

    A firm code is returned as given and checked against the firms by the cases checks.
    """
    value = v.as_text(cell)
    channel = _intake_channel.get(value.lower())
    return channel.value if channel is not None else v.code(value)


FIRMS = KindSpec(
    "firms",
    key=("code",),
    columns=(
        Column("code", "代码", v.code, required=True),
        Column("name", "名称", v.text(200), required=True),
        choice("kind", "类型", enums.FirmKind, required=True),
        Column("email", "邮箱", v.email),
        Column("address", "地址", v.text(300)),
        # Not checked against people: firms are imported before the people who name them.
        Column("director", "负责人", v.code, db="director_code"),
        Column("accepts_applications", "受理点", v.yes_no, default=False),
    ),
)

PEOPLE = KindSpec(
    "people",
    key=("code",),
    columns=(
        Column("code", "编号", v.code, required=True),
        Column("name", "姓名", v.text(100), required=True),
        Column("email", "邮箱", v.email),
        Column("phone", "电话", v.phone),
        Column("firm", "所属机构", v.code, db="firm_id", ref="firm"),
        choice("role", "身份", enums.Role, required=True),
        Column("desk_pool", "仲裁值班", v.yes_no, default=False),
        Column("active", "在职", v.yes_no, default=True),
    ),
)

CASES = KindSpec(
    "cases",
    key=("case_no",),
    columns=(
        Column("case_no", "案号", v.text(64), required=True),
        choice("case_type", "案件类型", enums.CaseType, required=True),
        Column("matter", "案由", v.text(200)),
        Column("applicant", "受援人", v.text(200), required=True),
        choices("applicant_groups", "受援人类别", enums.RecipientGroup, default=()),
        Column("intake", "受理渠道", intake, vocabulary=enums.IntakeChannel),
        Column("applied_on", "申请日期", v.day, required=True),
        Column("limitation_on", "时效届满日期", v.day),
        Column("decided_on", "审查决定日期", v.day),
        choice("decision", "决定", enums.Decision),
        Column("decision_reason", "决定理由", v.text(2000)),
        Column("assigned_on", "指派日期", v.day),
        Column("lawyer", "承办人", v.code, db="lawyer_id", ref="person"),
        Column("first_contact_on", "首次联系日期", v.day),
        Column("last_progress_on", "最近进展日期", v.day),
        Column("next_hearing_on", "下次开庭日期", v.day),
        Column("ended_on", "办结日期", v.day),
        Column("closure_submitted_on", "结案材料提交日期", v.day),
        Column("return_visit_on", "回访日期", v.day),
    ),
)

CONSULTATIONS = KindSpec(
    "consultations",
    key=(),
    columns=(
        Column("date", "日期", v.day, required=True, db="on"),
        choice("channel", "渠道", enums.ConsultationChannel, required=True),
        choice("outcome", "结果", enums.ConsultationOutcome, required=True),
        Column("handled_by", "接待人", v.code, db="handled_by_id", ref="person"),
        Column("topic", "事由", v.text(200)),
        Column("count", "件数", v.count, default=1),
    ),
)

ROSTER = KindSpec(
    "roster",
    key=("date", "slot", "person"),
    columns=(
        Column("date", "日期", v.day, required=True, db="on"),
        choice("slot", "班次", enums.Slot, required=True),
        Column("person", "值班人", v.code, required=True, db="person_id", ref="person"),
    ),
)

LEAVE = KindSpec(
    "leave",
    key=("person", "start"),
    columns=(
        Column("person", "人员", v.code, required=True, db="person_id", ref="person"),
        Column("start", "开始", v.day, required=True),
        Column("end", "结束", v.day, required=True),
        Column("reason", "事由", v.text(200)),
    ),
)
