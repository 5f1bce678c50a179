"""Value parsers: one cell (text from a CSV, or a typed XLSX value) to one Python value.

A parser raises ``ValueError`` with a message a user can act on; the caller adds ``file:row:column``.
Values quoted in messages are shortened and have ID-card and phone numbers masked (invariant 6).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from legalaid.logs import mask_personal
from legalaid.models.enums import ALIASES_ZH, LABELS_ZH

# What a reader hands over for a non-empty cell: CSV gives stripped text, XLSX gives typed values.
CellValue = str | int | float | bool | date | datetime | time
Parser = Callable[[CellValue], Any]
E = TypeVar("E", bound=StrEnum)

MAX_COUNT = 100_000
# The years a business date may have: wide enough for any real case, narrow enough that a typo (0012 for
# 2012, an Excel date cell of 9999-12-31) is caught here rather than overflowing a deadline's arithmetic
# in a job later. The command line's date options take the same years.
FIRST_YEAR, LAST_YEAR = 1901, 2999
_QUOTE_MAX = 40
_DATE_DASHED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_DATE_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"[0-9+\-() /转]+")
# List cells: `;` and `、` as documented, and the full-width `；` and `,`/`，` people type anyway.
_LIST_SEPARATORS = re.compile(r"[;；、,，]")
_YES = frozenset({"yes", "y", "true", "1", "是"})
_NO = frozenset({"no", "n", "false", "0", "否"})


def show(value: object) -> str:
    """A cell value as quoted in an error message: shortened, personal numbers masked."""
    text = as_text(value) if isinstance(value, CellValue) else str(value)
    if len(text) > _QUOTE_MAX:
        text = text[: _QUOTE_MAX - 1] + "…"
    return repr(mask_personal(text))


def as_text(cell: CellValue) -> str:
    """Any cell as text: an XLSX number typed into a code or phone column reads as its digits."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell)


def text(max_length: int) -> Parser:
    """Free text up to the length of its database column."""

    def parse(cell: CellValue) -> str:
        value = as_text(cell)
        if len(value) > max_length:
            raise ValueError(f"too long: {len(value)} characters (limit {max_length})")
        return value

    return parse


code = text(32)


def email(cell: CellValue) -> str:
    value = as_text(cell)
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError(f"not an email address: {show(value)}")
    return value


def phone(cell: CellValue) -> str:
    value = as_text(cell)
    if len(value) > 32 or not _PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 3:
        raise ValueError(f"not a phone number: {show(value)}")
    return value


def day(cell: CellValue) -> date:
    """A date: an Excel date cell, or YYYY-MM-DD, YYYY/MM/DD (or YYYY.MM.DD), YYYY年M月D日; zeros optional;
    in the years FIRST_YEAR to LAST_YEAR."""
    if isinstance(cell, datetime):
        if cell.time() != time():
            raise ValueError(f"a date and time, expected a date: {show(cell)}")
        value = cell.date()
    elif isinstance(cell, date):
        value = cell
    elif isinstance(cell, str):
        value = _day_from_text(cell)
    else:
        raise ValueError(f"not a date: {show(cell)} (use YYYY-MM-DD)")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"out of range: {value.isoformat()} (years {FIRST_YEAR} to {LAST_YEAR})")
    return value


@lru_cache(maxsize=8192)  # a file repeats the same few hundred dates many times over
def _day_from_text(value: str) -> date:
    # Not date.fromisoformat: since Python 3.11 it also takes 20121008 and week dates like 2012-W40-1.
    if match := _DATE_DASHED.fullmatch(value):
        parts = match.group(1, 3, 4)
    elif match := _DATE_ZH.fullmatch(value):
        parts = match.group(1, 2, 3)
    else:
        raise ValueError(f"not a date: {show(value)} (use YYYY-MM-DD)")
    try:
        return date(*(int(part) for part in parts))
    except ValueError as exc:
        raise ValueError(f"not a date: {show(value)} ({exc})") from None


def yes_no(cell: CellValue) -> bool:
    if isinstance(cell, bool):
        return cell
    value = as_text(cell).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"not yes or no: {show(cell)} (use yes/no, 是/否, y/n, true/false, 1/0)")


def count(cell: CellValue) -> int:
    """How many consultations a row stands for: a whole number from 1 to MAX_COUNT."""
    value = as_text(cell)
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"not a whole number: {show(cell)}")
    number = int(value)
    if not 1 <= number <= MAX_COUNT:
        raise ValueError(f"out of range: {number} (from 1 to {MAX_COUNT})")
    return number


def spellings(enum: type[E]) -> dict[str, E]:
    """Every accepted spelling of each member: the value (any case), the Chinese label, its aliases."""
    table: dict[str, E] = {}
    for member in enum:
        table[member.value.lower()] = member
        if label := LABELS_ZH.get(member):
            table[label] = member
        for alias in ALIASES_ZH.get(member, ()):
            table[alias] = member
    return table


def vocabulary(enum: type[StrEnum]) -> str:
    """The members as a message lists them: ``civil/民事, criminal/刑事``."""
    return ", ".join(f"{m.value}/{LABELS_ZH[m]}" if m in LABELS_ZH else m.value for m in enum)


def one_of(enum: type[E]) -> Callable[[CellValue], E]:
    table = spellings(enum)
    expected = vocabulary(enum)

    def parse(cell: CellValue) -> E:
        value = as_text(cell)
        member = table.get(value.lower())
        if member is None:
            raise ValueError(f"unknown value {show(value)} (one of {expected})")
        return member

    return parse


def list_of(enum: type[E]) -> Callable[[CellValue], tuple[E, ...]]:
    """A list cell (``农民工;残疾人``): each item a member, duplicates dropped, order kept."""
    table = spellings(enum)
    expected = vocabulary(enum)

    def parse(cell: CellValue) -> tuple[E, ...]:
        members: dict[E, None] = {}
        for item in _LIST_SEPARATORS.split(as_text(cell)):
            item = item.strip()
            if not item:
                continue
            member = table.get(item.lower())
            if member is None:
                raise ValueError(f"unknown value {show(item)} (one of {expected})")
            members[member] = None
        return tuple(members)

    return parse
