"""Teams attendance as Graph returns it, read into plain data (rollout.outbound.gateway.AttendanceReport).

`GET /users/{organiser}/onlineMeetings?$filter=JoinWebUrl eq '{joinUrl}'` finds the meeting behind an event's join
link; `.../onlineMeetings/{id}/attendanceReports` lists one report per time the meeting ran, and
`.../attendanceReports/{id}/attendanceRecords` its people (paged). A report whose meeting has not ended has no
`meetingEndDateTime` and no records yet.
"""

from __future__ import annotations

from typing import Any

from rollout.outbound.gateway import AttendanceRecord, AttendanceReport

MAX_PAGES = 200  # 50 reports of up to 1,000 people at Graph's page sizes, with room to spare


def meeting_filter(join_url: str) -> str:
    return f"JoinWebUrl eq '{join_url.replace(chr(39), chr(39) * 2)}'"


def first_meeting_id(items: list[dict[str, Any]]) -> str | None:
    ids = [str(item["id"]) for item in items if item.get("id")]
    return ids[0] if ids else None


def attendance_report(report: dict[str, Any], records: list[dict[str, Any]]) -> AttendanceReport:
    ended = bool(report.get("meetingEndDateTime"))
    return AttendanceReport(
        report_id=str(report["id"]),
        ended=ended,
        records=tuple(attendance_record(r) for r in records) if ended else (),
    )


def attendance_record(record: dict[str, Any]) -> AttendanceRecord:
    identity = record.get("identity") if isinstance(record.get("identity"), dict) else {}
    email = str(record.get("emailAddress") or "").strip() or None
    name = str((identity or {}).get("displayName") or "").strip() or (email or "unknown attendee")
    try:
        seconds = int(record.get("totalAttendanceInSeconds") or 0)
    except (TypeError, ValueError):
        seconds = 0
    return AttendanceRecord(name=name[:300], email=email.lower() if email else None, seconds=max(seconds, 0))
