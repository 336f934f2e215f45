"""The planner dates each wave's six workshops on working days, honours overrides, and is deterministic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from rollout.config import Programme
from rollout.config.schema import WorkshopOverride
from rollout.planning.planner import PlanError, WorkshopSlot, plan
from rollout.planning.workdays import WorkingCalendar

Raw = dict[str, Any]
Build = Callable[[Raw], Programme]


def _dates(slots: list[WorkshopSlot]) -> list[str]:
    return [slot.local_date.isoformat() for slot in slots]


def test_wave_one_has_six_workshops_on_working_days_inside_the_wave(programme: Programme, cal: WorkingCalendar) -> None:
    slots = plan(programme.wave("wave-1"), programme)
    assert [s.number for s in slots] == [1, 2, 3, 4, 5, 6]
    assert _dates(slots) == [
        "2022-10-18",
        "2022-11-15",
        "2022-12-13",
        "2023-01-10",
        "2023-02-07",
        "2023-03-07",
    ]
    for slot in slots:
        assert dt.date(2022, 10, 1) <= slot.local_date <= dt.date(2023, 3, 31)
        assert cal.is_working_day(slot.local_date)
        assert cal.holiday_name(slot.local_date) is None
        assert slot.local_date.weekday() == 1  # schedule.preferred_weekday = "tuesday"
    assert _dates(slots) == sorted(_dates(slots))


def test_wave_one_keeps_configured_wall_clock_times_in_bst_and_gmt(programme: Programme) -> None:
    slots = plan(programme.wave("wave-1"), programme)
    assert [s.start.strftime("%H:%M") for s in slots] == [
        "10:00",
        "10:00",
        "10:00",
        "13:30",
        "10:00",
        "10:00",
    ]
    assert [s.start.utcoffset() for s in slots] == [dt.timedelta(hours=1)] + [dt.timedelta(0)] * 5
    assert slots[0].start.isoformat() == "2022-10-18T10:00:00+01:00"  # October: BST
    assert slots[1].start.isoformat() == "2022-11-15T10:00:00+00:00"  # winter: GMT
    assert slots[3].start.isoformat() == "2023-01-10T13:30:00+00:00"
    assert all(s.start.timezone_name == "Europe/London" for s in slots)


def test_slots_carry_the_workshop_spec_and_end_after_its_duration(programme: Programme) -> None:
    slots = plan(programme.wave("wave-1"), programme)
    second = slots[1]
    assert second.wave_id == "wave-1"
    assert second.title == "Understanding community need"
    assert second.format == "venue" and not second.is_online
    assert second.venue == "Leeds Central Library, Calverley Street, Leeds LS1 3AB"
    assert second.end.isoformat() == "2022-11-15T12:00:00+00:00"
    assert slots[0].is_online and slots[0].venue is None
    assert not any(s.overridden or s.cancelled for s in slots)


def test_every_wave_of_the_shipped_config_plans_inside_itself(programme: Programme, cal: WorkingCalendar) -> None:
    for wave in programme.waves:
        slots = plan(wave, programme)
        assert len(slots) == 6
        assert all(wave.start <= s.local_date <= wave.end and cal.is_working_day(s.local_date) for s in slots)


def test_planning_is_deterministic(programme: Programme, raw: Raw, build: Build) -> None:
    again = build(raw)
    for wave in programme.waves:
        first = plan(wave, programme)
        assert plan(wave, programme) == first
        assert plan(again.wave(wave.id), again) == first


def test_five_workshop_series_plans_unchanged(raw: Raw, build: Build, cal: WorkingCalendar) -> None:
    raw["workshops"] = [w for w in raw["workshops"] if w["number"] != 4]
    for workshop in raw["workshops"]:
        workshop["number"] -= workshop["number"] > 4
    programme = build(raw)
    slots = plan(programme.wave("wave-1"), programme)
    assert [s.number for s in slots] == [1, 2, 3, 4, 5]
    assert [s.title for s in slots][3] == "Developing your hub: supporting health participation"
    # the nominal Tuesday 2022-12-27 is the Boxing Day substitute, so workshop 3 rolls to Wednesday
    assert _dates(slots) == ["2022-10-18", "2022-11-22", "2022-12-28", "2023-01-31", "2023-03-07"]
    assert all(cal.is_working_day(s.local_date) for s in slots)


def test_a_fourth_wave_plans_unchanged_and_leaves_the_other_waves_alone(
    raw: Raw, build: Build, programme: Programme
) -> None:
    raw["waves"].append(
        {
            "id": "wave-4",
            "name": "Wave 4",
            "start": dt.date(2024, 4, 1),
            "end": dt.date(2024, 9, 30),
            "lcps": ["central", "morley"],
        }
    )
    four = build(raw)
    assert [w.id for w in four.waves] == ["wave-1", "wave-2", "wave-3", "wave-4"]
    for wave in programme.waves:
        assert plan(four.wave(wave.id), four) == plan(wave, programme)
    slots = plan(four.wave("wave-4"), four)
    assert _dates(slots) == [
        "2024-04-16",
        "2024-05-14",
        "2024-06-11",
        "2024-07-09",
        "2024-08-13",
        "2024-09-10",
    ]
    assert all(s.start.utcoffset() == dt.timedelta(hours=1) for s in slots)


def test_override_moves_the_workshop_to_its_date_and_time(raw: Raw, build: Build) -> None:
    raw["waves"][0]["overrides"] = [{"workshop": 3, "date": dt.date(2022, 12, 15), "start": "09:30"}]
    programme = build(raw)
    slots = plan(programme.wave("wave-1"), programme)
    third = slots[2]
    assert third.overridden
    assert third.start.isoformat() == "2022-12-15T09:30:00+00:00"
    assert third.end.isoformat() == "2022-12-15T12:00:00+00:00"  # 150 minutes
    # the workshop before it counts its "before the next workshop" action back from the new date
    assert slots[1].actions[0].due == dt.date(2022, 12, 8)
    assert [s.overridden for s in slots] == [False, False, True, False, False, False]
    assert _dates(slots) == [
        "2022-10-18",
        "2022-11-15",
        "2022-12-15",
        "2023-01-10",
        "2023-02-07",
        "2023-03-07",
    ]


def test_override_without_a_time_keeps_the_workshop_time(raw: Raw, build: Build) -> None:
    raw["waves"][0]["overrides"] = [{"workshop": 4, "date": dt.date(2023, 1, 12)}]
    programme = build(raw)
    fourth = plan(programme.wave("wave-1"), programme)[3]
    assert fourth.start.isoformat() == "2023-01-12T13:30:00+00:00"


def test_cancelled_workshop_is_still_dated_but_marked(raw: Raw, build: Build) -> None:
    raw["waves"][0]["cancelled_workshops"] = [5]
    programme = build(raw)
    slots = plan(programme.wave("wave-1"), programme)
    assert [s.cancelled for s in slots] == [False, False, False, False, True, False]
    assert slots[4].local_date == dt.date(2023, 2, 7)


def _replanned(programme: Programme, **update: Any) -> list[str]:
    """PlanError problems for wave-1 with fields replaced, unvalidated: the planner's own checks."""
    wave = programme.wave("wave-1").model_copy(update=update)
    with pytest.raises(PlanError) as caught:
        plan(wave, programme.model_copy(update={"waves": [wave]}))
    return caught.value.problems


def test_wave_too_short_for_lead_in_and_lead_out_cannot_be_planned(programme: Programme) -> None:
    assert _replanned(programme, end=dt.date(2022, 11, 1)) == [
        "waves[0]: too short for its workshops: 2022-10-01 to 2022-11-01 leaves no room after "
        "schedule.lead_in_days (14) and lead_out_days (21)"
    ]


def test_wave_whose_workshops_would_be_squeezed_together_cannot_be_planned(programme: Programme) -> None:
    problems = _replanned(programme, end=dt.date(2022, 12, 15))
    assert len(problems) == 5
    assert problems[0] == (
        "waves[0]: workshops 1 (2022-10-18) and 2 (2022-10-25) are less than "
        "schedule.min_gap_working_days (10) working days apart"
    )


def test_overrides_closer_than_the_minimum_gap_cannot_be_planned(programme: Programme) -> None:
    overrides = [WorkshopOverride(workshop=5, date=dt.date(2023, 1, 12))]
    assert _replanned(programme, overrides=overrides) == [
        "waves[0]: workshops 4 (2023-01-10) and 5 (2023-01-12) are less than "
        "schedule.min_gap_working_days (10) working days apart"
    ]


def test_override_on_a_non_working_day_cannot_be_planned(programme: Programme) -> None:
    overrides = [WorkshopOverride(workshop=4, date=dt.date(2023, 1, 2))]
    assert _replanned(programme, overrides=overrides) == [
        "waves[0].overrides[0].date: 2023-01-02 is not a working day (New Year's Day (observed))"
    ]


def test_minimum_gap_of_exactly_ten_working_days_is_allowed_and_nine_is_not(
    raw: Raw, build: Build, cal: WorkingCalendar
) -> None:
    assert cal.working_days_between(dt.date(2022, 10, 18), dt.date(2022, 11, 1)) == 10
    raw["waves"][0]["overrides"] = [{"workshop": 2, "date": dt.date(2022, 11, 1)}]
    programme = build(raw)
    assert plan(programme.wave("wave-1"), programme)[1].local_date == dt.date(2022, 11, 1)
    assert _replanned(programme, overrides=[WorkshopOverride(workshop=2, date=dt.date(2022, 10, 31))]) == [
        "waves[0]: workshops 1 (2022-10-18) and 2 (2022-10-31) are less than "
        "schedule.min_gap_working_days (10) working days apart"
    ]
