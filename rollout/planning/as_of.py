"""`--as-of` values: a date (that day at a given local time) or a datetime (local unless it has an offset)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from rollout.errors import InputError
from rollout.limits import EARLIEST_DATE, LATEST_DATE


def parse_as_of(
    text: str, timezone: str, default_time: dt.time = dt.time(0, 0), option: str = "--as-of"
) -> dt.datetime:
    zone = ZoneInfo(timezone)
    try:
        if len(text.strip()) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(text.strip()), default_time)
        else:
            value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(option, [f"{text!r} is not a date (2022-09-01) or date and time (2022-09-01T07:00)"]) from None
    # Checked before any time zone arithmetic, which overflows at the ends of the calendar (year 1, year 9999).
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise InputError(option, [f"{text!r} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}"])
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)
