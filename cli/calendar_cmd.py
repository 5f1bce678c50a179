"""``legalaid calendar``: working days of the Chinese calendar (调休 included) as the service sees them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import console, parse_date_option, print_json
from legalaid.config import load_settings
from legalaid.errors import UserError

if TYPE_CHECKING:
    from legalaid.calendar import DayInfo

app = typer.Typer(help="Working days of the Chinese calendar (调休 included).", no_args_is_help=True)

# A range longer than this is almost surely a typo in a year; ten years is still allowed.
MAX_SHOWN_DAYS = 3660
_WEEKDAYS = {
    "zh_CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

FromOption = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _date(value: str, option: str) -> date:
    parsed = parse_date_option(value, option)
    if parsed is None:
        raise UserError(f"{option}: a date is required")
    return parsed


def _as_dict(info: DayInfo) -> dict[str, Any]:
    return {
        "date": info.date,
        "weekday": _WEEKDAYS["en"][info.date.weekday()],
        "working": info.working,
        "adjusted": info.adjusted,
        "holiday_name": info.holiday_name,
        "provisional": info.provisional,
        "source": info.source.value,
    }


@app.command("show")
def show(
    start: FromOption,
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included).")],
    as_json: JsonOption = False,
) -> None:
    """Each day from --from to --to: weekday, working or not, holiday name, provisional."""
    from legalaid.calendar import WorkCalendar

    first, last = _date(start, "--from"), _date(end, "--to")
    if last < first:
        raise UserError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    if (last - first).days >= MAX_SHOWN_DAYS:
        raise UserError(f"--from/--to: at most {MAX_SHOWN_DAYS} days at a time")
    settings = load_settings()
    calendar = WorkCalendar.from_settings(settings)
    days = [calendar.day(date.fromordinal(n)) for n in range(first.toordinal(), last.toordinal() + 1)]
    if as_json:
        print_json([_as_dict(info) for info in days])
        return
    weekdays = _WEEKDAYS[settings.locale]
    for info in days:
        state = "working" if info.working else "off"
        # A 调休 working day carries the name of the holiday it makes up for: say so.
        name = f"调休 {info.holiday_name}" if info.adjusted and info.holiday_name else info.holiday_name
        parts = [info.date.isoformat(), weekdays[info.date.weekday()], f"{state:<7}"]
        if name:
            parts.append(name)
        if info.provisional:
            parts.append("(provisional)")
        console.print("  ".join(parts).rstrip(), markup=False, highlight=False, soft_wrap=True)


@app.command("next")
def next_working_day(
    start: FromOption,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            min=-MAX_SHOWN_DAYS,
            max=MAX_SHOWN_DAYS,
            help="Working days after --from (negative: before).",
        ),
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """The day that is --days working days after --from, not counting --from (0: --from or the next)."""
    from legalaid.calendar import WorkCalendar

    calendar = WorkCalendar.from_settings(load_settings())
    first = _date(start, "--from")
    info = calendar.day(calendar.add_working_days(first, days))
    if as_json:
        print_json({"from": first, "days": days, **_as_dict(info)})
        return
    mark = "  (provisional)" if info.provisional else ""
    console.print(f"{info.date.isoformat()}{mark}", markup=False, highlight=False)
