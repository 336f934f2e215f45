"""The status rules (rollout.planning.status) at their boundaries: overdue, due soon, a wave's window, stalled.

The real programme: wave 1 (central, woodsley-holt-park, morley) runs 1 Oct 2022 to 31 Mar 2023, wave 2 (armley, ...)
from 1 Apr 2023; stage 1 stalls after 90 days, stage 4 never.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rollout.config import Programme
from rollout.planning.status import (
    ACTIVE_MARGIN,
    NO_PROGRESS,
    OVERDUE_ACTIONS,
    StallRule,
    active_waves,
    days_overdue,
    engaged_since,
    is_due_soon,
    is_overdue,
    no_progress_from,
    overdue_from,
    wave_state,
)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Act:
    due_date: dt.date
    status: str = "open"
    overdue_since: dt.date | None = None


DUE = d("2022-11-08")


def test_an_open_action_is_on_time_up_to_its_due_date_and_overdue_from_the_day_after() -> None:
    action = Act(DUE)
    assert not is_overdue(action, DUE - ONE_DAY)
    assert not is_overdue(action, DUE)
    assert is_overdue(action, DUE + ONE_DAY)
    assert overdue_from(DUE) == DUE + ONE_DAY
    assert [days_overdue(DUE, DUE + n * ONE_DAY) for n in (-1, 0, 1, 7)] == [0, 0, 1, 7]


def test_a_done_action_is_never_overdue_nor_due_soon() -> None:
    done = Act(DUE, status="done")
    assert not is_overdue(done, DUE + 30 * ONE_DAY)
    assert not is_due_soon(done, DUE)


def test_due_soon_is_today_to_six_days_later() -> None:
    today = d("2022-10-17")  # a Monday: the digest's week
    due_on = {n: is_due_soon(Act(today + n * ONE_DAY), today) for n in (-1, 0, 6, 7)}
    assert due_on == {-1: False, 0: True, 6: True, 7: False}  # yesterday's is overdue, not due soon


def test_a_wave_is_not_started_before_its_start_running_to_its_end_and_finished_after(programme: Programme) -> None:
    wave = programme.wave("wave-1")  # 2022-10-01 to 2023-03-31
    days = ("2022-09-30", "2022-10-01", "2023-03-31", "2023-04-01")
    assert [wave_state(wave, d(day)) for day in days] == ["not started", "running", "running", "finished"]


def test_a_waves_runs_are_active_from_the_margin_before_its_start_to_the_margin_after_its_end(
    programme: Programme,
) -> None:
    wave = programme.wave("wave-1")
    assert "wave-1" not in active_waves(programme, wave.start - ACTIVE_MARGIN - ONE_DAY)
    assert "wave-1" in active_waves(programme, wave.start - ACTIVE_MARGIN)
    assert "wave-1" in active_waves(programme, wave.end + ACTIVE_MARGIN)
    assert "wave-1" not in active_waves(programme, wave.end + ACTIVE_MARGIN + ONE_DAY)


def test_an_lcp_is_held_to_the_pace_from_its_waves_first_day_and_after_it_ends(programme: Programme) -> None:
    assert "central" not in engaged_since(programme, d("2022-09-30"))
    assert engaged_since(programme, d("2022-10-01"))["central"] == d("2022-10-01")
    assert engaged_since(programme, d("2023-06-01"))["central"] == d("2022-10-01")  # finished: still chased
    assert "armley" not in engaged_since(programme, d("2023-03-31"))  # wave 2 starts 1 Apr 2023


def test_a_hub_stalls_for_no_progress_the_day_after_stall_after_days(programme: Programme) -> None:
    since = d("2022-09-01")
    stall_day = no_progress_from(since, 90)
    assert stall_day == d("2022-12-01")  # 1 Sep + 90 days = 30 Nov, its last day on time
    assert StallRule.of(programme, stall_day - ONE_DAY).stalls("central", 1, since, []) == {}
    assert StallRule.of(programme, stall_day).stalls("central", 1, since, []) == {NO_PROGRESS: stall_day}
    assert StallRule.of(programme, stall_day + ONE_DAY).stalls("central", 1, since, []) == {NO_PROGRESS: stall_day}


def test_a_stage_without_stall_after_days_never_stalls_for_no_progress(programme: Programme) -> None:
    assert no_progress_from(d("2022-01-01"), None) is None
    assert StallRule.of(programme, d("2023-03-01")).stalls("central", 4, d("2022-01-01"), []) == {}


def test_a_hub_with_overdue_actions_is_stalled_since_the_earliest_became_overdue(programme: Programme) -> None:
    rule = StallRule.of(programme, d("2022-11-20"))
    actions = [
        Act(d("2022-11-15")),
        Act(d("2022-11-08")),  # overdue from 9 Nov
        Act(d("2022-11-01"), status="done"),  # done: holds nothing back
        Act(d("2022-11-25")),  # not due yet
    ]
    assert rule.stalls("central", 2, d("2022-11-01"), actions) == {OVERDUE_ACTIONS: d("2022-11-09")}


def test_the_overdue_day_the_reconciler_recorded_is_the_stalls_start(programme: Programme) -> None:
    rule = StallRule.of(programme, d("2022-11-20"))
    marked = Act(d("2022-11-08"), overdue_since=d("2022-11-10"))
    assert rule.stalls("central", 2, d("2022-11-01"), [marked]) == {OVERDUE_ACTIONS: d("2022-11-10")}


def test_a_hub_stalls_for_both_reasons_at_once(programme: Programme) -> None:
    rule = StallRule.of(programme, d("2022-12-05"))
    assert rule.stalls("central", 1, d("2022-09-01"), [Act(d("2022-11-08"))]) == {
        NO_PROGRESS: d("2022-12-01"),
        OVERDUE_ACTIONS: d("2022-11-09"),
    }


def test_a_hub_whose_wave_has_not_started_is_never_stalled(programme: Programme) -> None:
    before_wave_2 = StallRule.of(programme, d("2023-03-31"))
    long_ago = d("2022-01-01")  # far past stage 1's 90 days, and an overdue action
    assert before_wave_2.stalls("armley", 1, long_ago, [Act(d("2022-11-08"))]) == {}
    on_its_first_day = StallRule.of(programme, d("2023-04-01")).stalls("armley", 1, long_ago, [])
    assert on_its_first_day == {NO_PROGRESS: d("2023-04-01")}  # from the wave's first day, not 2 April 2022


def test_a_hub_of_a_finished_wave_can_still_be_stalled(programme: Programme) -> None:
    after_wave_1 = StallRule.of(programme, d("2023-06-01"))  # wave 1 ended 31 Mar 2023
    assert after_wave_1.stalls("central", 1, d("2023-01-02"), []) == {NO_PROGRESS: d("2023-04-03")}


def test_a_hub_of_an_lcp_in_no_wave_is_never_stalled(programme: Programme) -> None:
    rule = StallRule.of(programme, d("2024-12-01"))
    assert rule.stalls("no-such-lcp", 1, d("2022-01-01"), [Act(d("2022-11-08"))]) == {}
