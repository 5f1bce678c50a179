"""The seed report's sentences from counted figures: rises, falls, no change, a zero year, shares."""

from __future__ import annotations

from decimal import Decimal

import pytest

from legalaid.reports.sentences import (
    cases_sentence,
    compared,
    desk_sentence,
    hotline_sentence,
    migrant_sentence,
    on_time_sentence,
    percent_change,
    share,
    type_sentence,
)


def test_the_seed_sentences() -> None:
    assert cases_sentence(165, 147, locale="zh_CN") == "共办理法律援助案件165件，比去年增长12.24%"
    assert type_sentence("civil", 125, 88, locale="zh_CN", first=True) == (
        "其中民事法律援助案件为125件，比去年增长42.05%"
    )
    assert migrant_sentence(111, 125, locale="zh_CN") == (
        "以外来务工人员为受援人的民事案件达111件，占民事案件总数的88.8%"
    )
    assert hotline_sentence("148", 1912, 1540, locale="zh_CN") == (
        "148法律服务热线共接待群众来电来访1912件，比去年增长24.16%"
    )
    assert desk_sentence(616, 482, 23, 47, locale="zh_CN") == (
        "劳动仲裁法律援助咨询点共接待咨询616人次，解答各类咨询482例，成功调解劳动纠纷23起，转为法律援助案件47起"
    )


@pytest.mark.parametrize(
    ("now", "before", "quarter", "zh", "en"),
    [
        (40, 59, False, "比去年下降32.20%", "down 32.20% on last year"),  # the seed's 刑事: 略有下降
        (59, 59, False, "与去年持平", "the same as last year"),
        (5, 0, False, "去年为0件", "none last year"),  # no percentage when last year is 0
        (0, 0, False, "与去年持平", "the same as last year"),
        (0, 7, False, "比去年下降100.00%", "down 100.00% on last year"),
        (30, 31, True, "比去年同期下降3.23%", "down 3.23% on the same quarter last year"),
        (3, 0, True, "去年同期为0件", "none the same quarter last year"),
    ],
)
def test_comparisons(now: int, before: int, quarter: bool, zh: str, en: str) -> None:
    assert compared(now, before, locale="zh_CN", quarter=quarter) == zh
    assert compared(now, before, locale="en", quarter=quarter) == en


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        (165, 147, Decimal("12.24")),  # 12.2449 …
        (125, 88, Decimal("42.05")),  # 42.0454 …: half up, not banker's rounding nor binary floats
        (1, 8, Decimal("-87.50")),
        (2, 3, Decimal("-33.33")),
        (1, 0, None),
    ],
)
def test_percent_change_has_two_decimals(now: int, before: int, expected: Decimal | None) -> None:
    assert percent_change(now, before) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(111, 125, Decimal("88.8")), (1, 8, Decimal("12.5")), (1, 16, Decimal("6.3")), (0, 5, Decimal("0.0"))],
)
def test_shares_have_one_decimal(part: int, whole: int, expected: Decimal) -> None:
    assert share(part, whole) == expected
    assert share(part, 0) is None


def test_without_civil_cases_there_is_no_migrant_sentence() -> None:
    assert migrant_sentence(0, 0, locale="zh_CN") is None


def test_english() -> None:
    assert (
        cases_sentence(165, 147, locale="en")
        == "The center handled 165 legal aid cases, up 12.24% on last year"
    )
    assert migrant_sentence(111, 125, locale="en") == (
        "Civil cases with a migrant worker as the recipient: 111, 88.8% of all civil cases"
    )
    assert hotline_sentence("12348", 1912, 1540, locale="en") == (
        "The 12348 legal service hotline took 1,912 calls and visits, up 24.16% on last year"
    )


def test_no_data_last_year_is_no_comparison() -> None:
    """A year before the first record has no figure: the sentence states this year's alone (issue 12)."""
    assert cases_sentence(165, None, locale="zh_CN", subject="援助中心") == "援助中心共办理法律援助案件165件"
    assert type_sentence("civil", 125, None, locale="zh_CN", first=True) == "其中民事法律援助案件为125件"
    assert hotline_sentence("148", 30, None, locale="en") == (
        "The 148 legal service hotline took 30 calls and visits"
    )
    assert compared(5, None, locale="zh_CN", quarter=True) == "去年同期无数据"
    assert compared(5, None, locale="en") == "no data for last year"


def test_an_on_time_share_states_its_basis() -> None:
    basis = ("本期办结的案件（按办结日期计，含往年受理的案件）", "Cases ended in the period")
    pending = ("提交期限未届满且尚未提交", "not yet submitted and not yet due")
    done = ("在30日内提交结案材料", "with closure materials within 30 days")
    assert on_time_sentence(basis, pending, done, (157, 150, 147), locale="zh_CN") == (
        "本期办结的案件（按办结日期计，含往年受理的案件）157件，计入按期率的150件"
        "（提交期限未届满且尚未提交的7件不计），其中在30日内提交结案材料147件，占98.0%"
    )
    assert on_time_sentence(basis, pending, done, (2, 0, 0), locale="en") == (
        "Cases ended in the period: 2, 0 counted (2 not yet submitted and not yet due not counted), "
        "none of them due yet"
    )
    assert on_time_sentence(basis, pending, done, (0, 0, 0), locale="zh_CN") is None
