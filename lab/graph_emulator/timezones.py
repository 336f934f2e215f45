"""Graph's dateTimeTimeZone values: IANA or Windows zone names, wall-clock times with up to 7 decimals."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from graph_emulator.errors import ServiceError

# Windows zone names Outlook commonly uses, mapped to IANA (from CLDR's windowsZones, territory 001).
WINDOWS_TO_IANA = {
    "utc": "UTC",
    "coordinated universal time": "UTC",
    "tzone://microsoft/utc": "UTC",
    "gmt standard time": "Europe/London",
    "greenwich standard time": "Atlantic/Reykjavik",
    "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris",
    "central europe standard time": "Europe/Budapest",
    "central european standard time": "Europe/Warsaw",
    "e. europe standard time": "Europe/Chisinau",
    "fle standard time": "Europe/Kiev",
    "gtb standard time": "Europe/Bucharest",
    "russian standard time": "Europe/Moscow",
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles",
    "india standard time": "Asia/Kolkata",
    "china standard time": "Asia/Shanghai",
    "tokyo standard time": "Asia/Tokyo",
    "aus eastern standard time": "Australia/Sydney",
    "new zealand standard time": "Pacific/Auckland",
}

_WALL = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?$")


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    if not name:
        return zoneinfo.ZoneInfo("UTC")
    iana = WINDOWS_TO_IANA.get(name.strip().lower(), name.strip())
    try:
        return zoneinfo.ZoneInfo(iana)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ServiceError(
            400,
            "TimeZoneNotSupportedException",
            f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{name}'.",
        ) from exc


def parse_wall(value: str, tz_name: str | None) -> dt.datetime:
    """A Graph dateTime in the named zone, as an aware UTC datetime."""
    match = _WALL.match(value.strip())
    if not match:
        raise ServiceError(400, "ErrorInvalidRequest", f"Cannot convert '{value}' to a date and time.")
    wall = dt.datetime.fromisoformat(match.group(1))
    fraction = (match.group(2) or "").ljust(6, "0")[:6]
    wall = wall.replace(microsecond=int(fraction), tzinfo=zone(tz_name))
    return wall.astimezone(dt.UTC)


def parse_query_instant(value: str) -> dt.datetime:
    """calendarView's startDateTime/endDateTime: ISO 8601 with offset or Z; no offset means UTC."""
    text = value.strip().replace("Z", "+00:00").replace(" ", "+")  # '+' arrives as ' ' if not %-encoded
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ServiceError(
            400, "ErrorInvalidParameter", f"The value '{value}' of parameter 'StartDateTime' is invalid."
        ) from exc
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)


def to_wall(instant: dt.datetime, tz_name: str) -> dict[str, str]:
    """Graph's output shape: seven fractional digits, no offset, the zone named as the client asked."""
    local = instant.astimezone(zone(tz_name))
    return {
        "dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0",
        "timeZone": tz_name,
    }


def iso_utc(instant: dt.datetime) -> str:
    """Graph's timestamps (createdDateTime, status.time): UTC with Z."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond:06d}0Z"
