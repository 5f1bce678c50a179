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
