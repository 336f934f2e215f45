"""Follow-up actions get due dates from each accepted rule form, on working days where the rule says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from rollout.config import DueRule, Programme, Wave
from rollout.planning.planner import PlanError, due_date, plan
from rollout.planning.workdays import WorkingCalendar

Raw = dict[str, Any]
Build = Callable[[Raw], Programme]


def _wave(end: dt.date) -> Wave:
    return Wave(id="w", name="W", start=dt.date(2022, 10, 1), end=end, lcps=["central"])


def _due(
    text: str,
    workshop: dt.date,
    next_day: dt.date | None,
    cal: WorkingCalendar,
    wave_end: dt.date = dt.date(2023, 3, 31),
) -> dt.date:
    return due_date(DueRule.parse(text), workshop, next_day, _wave(wave_end), cal)


def test_rules_are_parsed_into_amount_unit_direction_and_anchor() -> None:
    rule = DueRule.parse("5  Working Days before the NEXT workshop")
    assert (rule.amount, rule.working_days, rule.direction, rule.anchor) == (
        5,
        True,
        "before",
        "next_workshop",
    )
    assert DueRule.parse("1 day after workshop").anchor == "workshop"
    assert DueRule.parse("3 working days before the wave end").anchor == "wave_end"
    assert not DueRule.parse("14 days after the workshop").working_days


def test_working_days_before_the_next_workshop(cal: WorkingCalendar) -> None:
    assert _due("5 working days before the next workshop", dt.date(2022, 10, 18), dt.date(2022, 11, 15), cal) == (
        dt.date(2022, 11, 8)
    )


def test_working_days_before_the_next_workshop_skip_the_new_year_and_christmas_holidays(
    cal: WorkingCalendar,
) -> None:
    # back from Thursday 2023-01-05: 01-04, 01-03, (01-02 holiday), 12-30, 12-29, 12-28
    assert _due("5 working days before the next workshop", dt.date(2022, 12, 13), dt.date(2023, 1, 5), cal) == (
        dt.date(2022, 12, 28)
    )


def test_working_days_after_the_workshop_skip_boxing_day_and_its_substitute(cal: WorkingCalendar) -> None:
    # 10 working days after 2022-12-13: ... 12-23 is the 8th, then 12-28 and 12-29
    assert _due("10 working days after the workshop", dt.date(2022, 12, 13), None, cal) == dt.date(2022, 12, 29)


def test_one_working_day_after_a_friday_is_the_monday(cal: WorkingCalendar) -> None:
    assert _due("1 working day after the workshop", dt.date(2023, 3, 3), None, cal) == dt.date(2023, 3, 6)


def test_calendar_days_after_the_workshop_roll_forward_off_a_weekend(cal: WorkingCalendar) -> None:
    assert _due("4 days after the workshop", dt.date(2023, 3, 7), None, cal) == dt.date(2023, 3, 13)
    assert _due("14 days after the workshop", dt.date(2023, 3, 7), None, cal) == dt.date(2023, 3, 21)


def test_calendar_days_after_the_workshop_roll_forward_off_bank_holidays(cal: WorkingCalendar) -> None:
    assert _due("3 days after the workshop", dt.date(2022, 12, 23), None, cal) == dt.date(2022, 12, 28)


def test_calendar_days_before_the_next_workshop_roll_back_off_a_bank_holiday(cal: WorkingCalendar) -> None:
    assert _due("2 days before the next workshop", dt.date(2022, 12, 13), dt.date(2023, 1, 4), cal) == (
        dt.date(2022, 12, 30)
    )


def test_working_days_before_the_wave_end(cal: WorkingCalendar) -> None:
    assert _due("5 working days before the wave end", dt.date(2023, 3, 7), None, cal) == dt.date(2023, 3, 24)


def test_working_days_before_a_wave_ending_on_a_saturday(cal: WorkingCalendar) -> None:
    end = dt.date(2023, 9, 30)
    assert _due("5 working days before the wave end", dt.date(2023, 9, 12), None, cal, wave_end=end) == (
        dt.date(2023, 9, 25)
    )


def test_rule_needing_a_next_workshop_without_one_is_a_plan_error(cal: WorkingCalendar) -> None:
    with pytest.raises(PlanError, match="needs a next workshop"):
        _due("5 working days before the next workshop", dt.date(2023, 3, 7), None, cal)


def test_planned_actions_use_every_rule_form(raw: Raw, build: Build) -> None:
    workshops = {w["number"]: w for w in raw["workshops"]}
    workshops[5]["actions"].append(
        {"title": "Book the launch venue", "owner": "lcp_lead", "due": "4 days after the workshop"}
    )
    workshops[6]["actions"].append(
        {"title": "Send the wave report", "owner": "lcp_lead", "due": "5 working days before the wave end"}
    )
    programme = build(raw)
    slots = plan(programme.wave("wave-1"), programme)
    due = {(a.workshop_number, a.index): a.due.isoformat() for s in slots for a in s.actions}
    assert due == {
        (1, 0): "2022-11-08",  # 5 working days before workshop 2 (2022-11-15)
        (2, 0): "2022-12-06",  # 5 working days before workshop 3 (2022-12-13)
        (3, 0): "2022-12-29",  # 10 working days after 2022-12-13, skipping 12-26 and 12-27
        (4, 0): "2023-01-31",
        (5, 0): "2023-02-28",
        (5, 1): "2023-02-13",  # 4 days after Tuesday 2023-02-07 is Saturday: rolled to Monday
        (6, 0): "2023-03-28",  # 15 working days after 2023-03-07
        (6, 1): "2023-03-24",  # 5 working days before the wave end (Friday 2023-03-31)
    }
    first = slots[0].actions[0]
    assert (first.title, first.owner) == ("Map your LCP's partners against the six roles", "lcp_lead")


@pytest.mark.parametrize(
    "text",
    [
        "5 working days before the workshop",
        "a week before the next workshop",
        "5 working days after the wave",
        "-1 days after the workshop",
        "5 business days after the workshop",
    ],
)
def test_rules_outside_the_accepted_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="due rule"):
        DueRule.parse(text)
