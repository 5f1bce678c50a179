"""Dates as the center writes them in prose and documents: one formatter per locale.

``2012年10月8日`` (no leading zeros, as official documents write it) and ``8 October 2012``. The English
month names are spelled out here rather than taken from ``%B``, which follows the process's C locale.
"""

from __future__ import annotations

from datetime import date

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def zh_date(day: date) -> str:
    """``2012年10月8日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def en_date(day: date) -> str:
    """``8 October 2012``."""
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_date(day: date | None, locale: str) -> str:
    """``day`` in ``locale`` (``zh_CN``: Chinese, anything else: English); no date gives an empty text."""
    if day is None:
        return ""
    return zh_date(day) if locale == "zh_CN" else en_date(day)


def format_month(day: date, locale: str) -> str:
    """The month of ``day``: ``2012年10月`` (``zh_CN``) or ``October 2012``."""
    if locale == "zh_CN":
        return f"{day.year}年{day.month}月"
    return f"{_MONTHS_EN[day.month - 1]} {day.year}"
