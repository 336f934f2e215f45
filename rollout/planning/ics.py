"""An importable iCalendar file (RFC 5545) of a wave's workshops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rollout.planning.wave_plan import PlannedWorkshop


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded = line.encode("utf-8")
    parts: list[str] = []
    start = 0
    while len(encoded) - start > 75:
        end = start + (75 if not parts else 74)
        while end > start and (encoded[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(encoded[start:end].decode("utf-8"))
        start = end
    parts.append(encoded[start:].decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def wave_calendar(workshops: Iterable[PlannedWorkshop], programme_name: str, stamp: dt.datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//digital-health-rollout//rollout//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(programme_name)}",
    ]
    for workshop in workshops:
        slot = workshop.slot
        summary = f"{slot.wave_id} workshop {slot.number}: {slot.title}"
        description = f"{slot.description}\nFor: {workshop.audience}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{slot.wave_id}-workshop-{slot.number}@rollout",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART:{_utc(slot.start)}",
            f"DTEND:{_utc(slot.end)}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            f"LOCATION:{_escape(slot.venue or 'Microsoft Teams')}",
            f"STATUS:{'CANCELLED' if slot.cancelled else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
