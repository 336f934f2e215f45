"""Workshops keep their wall-clock time across daylight-saving changes and never land on bank holidays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rollout.config import Programme
from rollout.config.load import programme_from_dict
from rollout.errors import InputError
from rollout.planning.planner import plan
from rollout.planning.workdays import WorkingCalendar

Raw = dict[str, Any]
Build = Callable[[Raw], Programme]
BST, GMT = dt.timedelta(hours=1), dt.timedelta(0)


def _rejection(raw: Raw) -> list[str]:
    try:
        programme_from_dict(raw, "test-config")
    except InputError as exc:
        return exc.problems
    raise AssertionError("the config was accepted")


# --- daylight saving --------------------------------------------------------------------------------------


def test_wave_spanning_both_clock_changes_keeps_every_wall_clock_time(raw: Raw, build: Build) -> None:
    # Clocks go back on Sunday 2022-10-30 and forward on Sunday 2023-03-26; move workshop 6 past the second.
    raw["waves"][0]["overrides"] = [{"workshop": 6, "date": dt.date(2023, 3, 28)}]
    programme = build(raw)
    slots = plan(programme.wave("wave-1"), programme)
    assert [s.start.utcoffset() for s in slots] == [BST, GMT, GMT, GMT, GMT, BST]
    assert [s.start.strftime("%H:%M") for s in slots] == [
        "10:00",
        "10:00",
        "10:00",
        "13:30",
        "10:00",
        "10:00",
    ]
    assert [s.start.in_timezone("UTC").strftime("%H:%M") for s in (slots[0], slots[1], slots[5])] == [
        "09:00",
        "10:00",
        "09:00",
    ]
    assert slots[5].start.isoformat() == "2023-03-28T10:00:00+01:00"  # the Tuesday after clocks go forward


def test_workshop_on_the_monday_after_clocks_go_back_keeps_its_wall_clock(raw: Raw, build: Build) -> None:
    raw["waves"][0]["overrides"] = [{"workshop": 1, "date": dt.date(2022, 10, 31), "start": "09:30"}]
    programme = build(raw)
    first = plan(programme.wave("wave-1"), programme)[0]
    assert first.start.isoformat() == "2022-10-31T09:30:00+00:00"
    assert first.end.isoformat() == "2022-10-31T11:30:00+00:00"


def test_workshop_on_the_monday_after_clocks_go_forward_keeps_its_wall_clock(raw: Raw, build: Build) -> None:
    raw["schedule"]["preferred_weekday"] = "monday"
    raw["waves"][0]["overrides"] = [{"workshop": 6, "date": dt.date(2023, 3, 27), "start": "08:00"}]
    programme = build(raw)
    sixth = plan(programme.wave("wave-1"), programme)[5]
    assert sixth.start.isoformat() == "2023-03-27T08:00:00+01:00"
    assert sixth.start.in_timezone("UTC").isoformat() == "2023-03-27T07:00:00+00:00"


def test_override_on_a_uk_clock_change_day_is_rejected_because_it_is_a_sunday(raw: Raw) -> None:
    raw["waves"][0]["overrides"] = [
        {"workshop": 1, "date": dt.date(2022, 10, 30), "start": "10:00"},
        {"workshop": 6, "date": dt.date(2023, 3, 26), "start": "10:00"},
    ]
    assert _rejection(raw) == [
        "waves[0].overrides[0].date: 2022-10-30 is not a working day (Sunday)",
        "waves[0].overrides[1].date: 2023-03-26 is not a working day (Sunday)",
    ]


def test_override_time_on_a_weekday_clock_change_keeps_its_wall_clock(raw: Raw, build: Build) -> None:
    # UK changes fall on Sundays; Tehran's 2022 changes fell on weekdays (clocks went forward at midnight
    # starting Tuesday 2022-03-22, back at midnight ending Wednesday 2022-09-21).
    raw["programme"]["timezone"] = "Asia/Tehran"
    raw["waves"] = [
        {
            "id": "w",
            "name": "W",
            "start": dt.date(2022, 3, 1),
            "end": dt.date(2022, 10, 31),
            "lcps": ["central"],
            "overrides": [
                {"workshop": 1, "date": dt.date(2022, 3, 22), "start": "11:15"},
                {"workshop": 6, "date": dt.date(2022, 9, 22), "start": "11:15"},
            ],
        }
    ]
    programme = build(raw)
    slots = plan(programme.wave("w"), programme)
    assert slots[0].start.isoformat() == "2022-03-22T11:15:00+04:30"
    assert slots[5].start.isoformat() == "2022-09-22T11:15:00+03:30"
    assert [s.start.strftime("%H:%M") for s in slots[1:5]] == ["10:00", "10:00", "13:30", "10:00"]
    assert {s.start.utcoffset() for s in slots[1:5]} == {dt.timedelta(hours=4, minutes=30)}


# --- bank holidays ----------------------------------------------------------------------------------------


def _christmas_wave(raw: Raw, preferred_weekday: str | None) -> Programme:
    """A wave whose first two nominal dates are Boxing Day 2022 and the New Year substitute, 2023-01-02."""
    if preferred_weekday is None:
        del raw["schedule"]["preferred_weekday"]
    else:
        raw["schedule"]["preferred_weekday"] = preferred_weekday
    raw["schedule"]["min_gap_working_days"] = 1
    for workshop in raw["workshops"]:  # the real "5 working days before the next workshop" needs wider gaps
        workshop["actions"] = [{"title": "Follow up", "owner": "lcp_lead", "due": "3 working days after the workshop"}]
    raw["waves"] = [
        {
            "id": "xmas",
            "name": "Christmas",
            "start": dt.date(2022, 12, 12),
            "end": dt.date(2023, 2, 20),
            "lcps": ["central"],
        }
    ]
    return programme_from_dict(raw, "test-config")


def test_nominal_dates_on_the_christmas_and_new_year_bank_holidays_roll_forward(raw: Raw, cal: WorkingCalendar) -> None:
    programme = _christmas_wave(raw, preferred_weekday=None)
    slots = plan(programme.wave("xmas"), programme)
    # nominal 2022-12-26 (Boxing Day) -> 12-27 (substitute) -> 12-28; nominal 2023-01-02 (substitute) -> 01-03
    assert [s.local_date.isoformat() for s in slots] == [
        "2022-12-28",
        "2023-01-03",
        "2023-01-09",
        "2023-01-16",
        "2023-01-23",
        "2023-01-30",
    ]
    assert all(cal.is_working_day(s.local_date) for s in slots)


def test_preferred_tuesday_on_the_boxing_day_substitute_rolls_to_wednesday(raw: Raw) -> None:
    programme = _christmas_wave(raw, preferred_weekday="tuesday")
    slots = plan(programme.wave("xmas"), programme)
    assert [s.local_date.isoformat() for s in slots][:2] == ["2022-12-28", "2023-01-03"]


def test_working_day_due_dates_skip_the_christmas_cluster(raw: Raw) -> None:
    programme = _christmas_wave(raw, preferred_weekday=None)
    slots = plan(programme.wave("xmas"), programme)
    # 3 working days after Wednesday 2022-12-28: 12-29, 12-30, then past the 2023-01-02 substitute to 01-03
    assert [slot.actions[0].due.isoformat() for slot in slots[:2]] == ["2023-01-03", "2023-01-06"]


def test_override_on_a_christmas_cluster_bank_holiday_is_rejected_naming_the_holiday(raw: Raw) -> None:
    _christmas_wave(raw, preferred_weekday=None)  # valid as it stands
    raw["waves"][0]["overrides"] = [
        {"workshop": 1, "date": dt.date(2022, 12, 26)},
        {"workshop": 2, "date": dt.date(2023, 1, 2)},
    ]
    assert _rejection(raw) == [
        "waves[0].overrides[0].date: 2022-12-26 is not a working day (Boxing Day)",
        "waves[0].overrides[1].date: 2023-01-02 is not a working day (New Year's Day (observed))",
    ]
