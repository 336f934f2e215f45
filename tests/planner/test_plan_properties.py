"""Property: for any wave window and schedule without overrides, every planned workshop is a working day,
strictly after the one before, and inside the wave; a roomy wave always plans.

hypothesis is not installed in this project's environment, so cases come from a seeded random generator:
the same 400 cases on every run.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import random
from typing import Any

import pytest

from rollout.config import Programme
from rollout.planning.planner import PlanError, plan
from rollout.planning.workdays import WorkingCalendar

WEEKDAYS = [None, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _case(rng: random.Random, raw: dict[str, Any]) -> tuple[Programme, bool]:
    data = copy.deepcopy(raw)
    count = rng.randint(1, 8)
    template = data["workshops"][0]
    data["workshops"] = [{**template, "number": n, "actions": []} for n in range(1, count + 1)]
    lead_in, lead_out = rng.randint(0, 21), rng.randint(0, 28)
    data["schedule"] = {"lead_in_days": lead_in, "lead_out_days": lead_out, "min_gap_working_days": 1}
    weekday = rng.choice(WEEKDAYS)
    if weekday:
        data["schedule"]["preferred_weekday"] = weekday
    start = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 5 * 365))
    length = rng.randint(1, 400)
    data["waves"] = [
        {
            "id": "w",
            "name": "W",
            "start": start,
            "end": start + dt.timedelta(days=length),
            "lcps": ["central"],
        }
    ]
    span = length - lead_in - lead_out
    # Enough room that nudging to the preferred weekday (<= 3 days either way) and rolling past weekends and
    # holidays (<= 4 more) can neither leave the wave nor make two workshops collide.
    roomy = lead_in >= 3 and lead_out >= 10 and span >= 8 * (count - 1)
    return Programme.model_validate(data), roomy


@pytest.mark.parametrize("seed", range(4))
def test_planned_workshops_are_increasing_working_days_inside_the_wave(
    seed: int, raw: dict[str, Any], cal: WorkingCalendar
) -> None:
    rng = random.Random(seed)
    planned = 0
    for _ in range(100):
        programme, roomy = _case(rng, raw)
        wave = programme.waves[0]
        try:
            slots = plan(wave, programme)
        except PlanError:
            assert not roomy, f"a roomy wave failed to plan: {wave} {programme.schedule}"
            continue
        planned += 1
        days = [slot.local_date for slot in slots]
        assert len(days) == len(programme.workshops)
        assert all(cal.is_working_day(day) for day in days), days
        assert all(a < b for a, b in itertools.pairwise(days)), days
        assert wave.start <= days[0] and days[-1] <= wave.end, (wave, days)
        assert all(slot.start.strftime("%H:%M") == "10:00" for slot in slots)
    assert planned >= 40  # the property was exercised, not vacuously true
