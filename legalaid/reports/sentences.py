"""The report's sentences, as the seed report writes them, from counted figures.

"共办理法律援助案件165件，比去年增长12.24%"; "其中民事法律援助案件为125件，比去年增长42.05%"; a fall is
"下降…%", no change "与去年持平", and when last year's figure is 0 there is no percentage, only a plain
statement ("去年为0件"). When last year has no data at all (before the first record) there is nothing to
compare with, and the sentence says only this period's figure: ``before`` is None. Changes have two
decimals, shares one ("占民事案件总数的88.8%"), both rounded half up as a person would (Decimal, not
binary floating point). English says the same in English.

For a quarter the comparison is with the same quarter a year before: "比去年同期增长…".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_TWO = Decimal("0.01")
_ONE = Decimal("0.1")


def percent_change(now: int, before: int) -> Decimal | None:
    """The change from ``before`` to ``now`` in percent, two decimals; None when ``before`` is 0."""
    if before == 0:
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(_TWO, rounding=ROUND_HALF_UP)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_ONE, rounding=ROUND_HALF_UP)


def count(n: int, locale: str) -> str:
    """1912 in Chinese text (as the seed writes it), 1,912 in English."""
    return str(n) if locale == "zh_CN" else f"{n:,}"


def compared(now: int, before: int | None, *, locale: str, quarter: bool = False, unit: str = "件") -> str:
    """How ``now`` compares with ``before`` (a year earlier): 比去年增长12.24% / 比去年下降… / 与去年持平 /
    去年为0件 / 去年无数据; up 12.24% on last year / down … / the same as last year / none last year / no
    data last year."""
    # One ladder of cases for both languages; each rung says it the way the locale does.
    zh = locale == "zh_CN"
    if zh:
        last = "去年同期" if quarter else "去年"
    else:
        last = "the same quarter last year" if quarter else "last year"
    if before is None:
        return f"{last}无数据" if zh else f"no data for {last}"
    if now == before:
        return f"与{last}持平" if zh else f"the same as {last}"
    change = percent_change(now, before)
    if change is None:
        return f"{last}为0{unit}" if zh else f"none {last}"
    if zh:
        return f"比{last}{'增长' if change > 0 else '下降'}{abs(change)}%"
    return f"{'up' if change > 0 else 'down'} {abs(change)}% on {last}"


def _versus(now: int, before: int | None, *, locale: str, quarter: bool) -> str:
    """``，比去年增长12.24%`` after a figure; nothing when there is no figure to compare with."""
    if before is None:
        return ""
    return ("，" if locale == "zh_CN" else ", ") + compared(now, before, locale=locale, quarter=quarter)


def cases_sentence(
    now: int, before: int | None, *, locale: str, quarter: bool = False, subject: str = ""
) -> str:
    """共办理法律援助案件165件，比去年增长12.24% (``subject`` before it: 援助中心, a firm's lawyers)."""
    versus = _versus(now, before, locale=locale, quarter=quarter)
    if locale == "zh_CN":
        return f"{subject}共办理法律援助案件{now}件{versus}"
    sentence = f"{subject or 'the center'} handled {count(now, locale)} legal aid cases{versus}"
    return sentence[0].upper() + sentence[1:]


_TYPE_ZH = {"civil": "民事", "criminal": "刑事", "administrative": "行政"}


def type_sentence(
    case_type: str, now: int, before: int | None, *, locale: str, quarter: bool = False, first: bool = False
) -> str:
    """其中民事法律援助案件为125件，比去年增长42.05% (``first``: with 其中); Civil cases: 125, up …"""
    versus = _versus(now, before, locale=locale, quarter=quarter)
    if locale == "zh_CN":
        return f"{'其中' if first else ''}{_TYPE_ZH[case_type]}法律援助案件为{now}件{versus}"
    return f"{case_type.capitalize()} cases: {count(now, locale)}{versus}"


def migrant_sentence(migrant_civil: int, civil: int, *, locale: str) -> str | None:
    """以外来务工人员为受援人的民事案件达111件，占民事案件总数的88.8%; None without civil cases."""
    part = share(migrant_civil, civil)
    if part is None:
        return None
    if locale == "zh_CN":
        return f"以外来务工人员为受援人的民事案件达{migrant_civil}件，占民事案件总数的{part}%"
    return (
        f"Civil cases with a migrant worker as the recipient: {count(migrant_civil, locale)}, "
        f"{part}% of all civil cases"
    )


def hotline_sentence(number: str, now: int, before: int | None, *, locale: str, quarter: bool = False) -> str:
    """148法律服务热线共接待群众来电来访1912件，比去年增长24.16% (``number``: 148 or 12348)."""
    versus = _versus(now, before, locale=locale, quarter=quarter)
    if locale == "zh_CN":
        return f"{number}法律服务热线共接待群众来电来访{now}件{versus}"
    return f"The {number} legal service hotline took {count(now, locale)} calls and visits{versus}"


def desk_sentence(total: int, answered: int, mediated: int, converted: int, *, locale: str) -> str:
    """The arbitration desk (劳动仲裁委员会法律援助咨询点): the seed's 482 / 20余 / 47, counted exactly."""
    if locale == "zh_CN":
        return (
            f"劳动仲裁法律援助咨询点共接待咨询{total}人次，解答各类咨询{answered}例，"
            f"成功调解劳动纠纷{mediated}起，转为法律援助案件{converted}起"
        )
    return (
        f"The labor arbitration desk received {count(total, locale)} consultations: "
        f"{count(answered, locale)} answered, {count(mediated, locale)} disputes mediated, "
        f"{count(converted, locale)} converted to legal aid cases"
    )


def on_time_sentence(
    basis: tuple[str, str],
    pending: tuple[str, str],
    done: tuple[str, str],
    figures: tuple[int, int, int],
    *,
    locale: str,
) -> str | None:
    """本期受理的申请（按申请日期计）162件，计入按期率的160件（审查期限未届满且尚未决定的2件不计），其中
    在7日内作出决定158件，占98.8%. ``figures`` is (selected, counted, on time): the items the basis
    selects, those whose step is done or whose deadline has passed, and those done in time; each pair of
    texts the Chinese and the English. None when nothing was selected."""
    selected, counted, on_time = figures
    if not selected:
        return None
    part = share(on_time, counted)
    zh = locale == "zh_CN"
    waiting = selected - counted
    if zh:
        sentence = f"{basis[0]}{selected}件"
        if waiting:
            sentence += f"，计入按期率的{counted}件（{pending[0]}的{waiting}件不计）"
        if part is None:
            return sentence + "，均未到期限"
        return sentence + f"，其中{done[0]}{on_time}件，占{part}%"
    sentence = f"{basis[1]}: {count(selected, locale)}"
    if waiting:
        sentence += f", {count(counted, locale)} counted ({count(waiting, locale)} {pending[1]} not counted)"
    if part is None:
        return sentence + ", none of them due yet"
    return sentence + f"; {count(on_time, locale)} {done[1]} ({part}%)"
