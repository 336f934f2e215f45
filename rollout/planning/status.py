"""The status rules, written once: overdue, due soon, stalled, a wave's window. Pure.

The reconciler, the digest, the CLI and the simulation all ask these functions; nothing else compares a due date,
a stage's age or a wave's dates with today. `today` is the programme's local date of the run's as-of moment
(`Clock.today` in the reconciler, `Week.today` in the digest, `--as-of` or now in the CLI).

- **Overdue**: an open action is overdue from the day after its due date; on the due date it is still on time.
- **Due soon**: an open action due from today to `DUE_SOON_DAYS - 1` days later (a Monday digest: that week).
- **A wave's window**: "not started" before its start date, "running" from its start to its end date (both
  inclusive), "finished" after; its runs stay *active* (tagged `wave:ID`) from `ACTIVE_MARGIN` before its start to
  `ACTIVE_MARGIN` after its end, because follow-ups and escalations outlive its last workshop.
- **Stalled**: only a hub whose LCP's wave has started can be stalled (an LCP that has not had its first workshop is
  not held to the programme's pace, and nobody is escalated about it); a finished wave's hubs still can. It is
  stalled for
  - `no_progress` from the day after `stage_since`'s local date + its stage's `stall_after_days` (none: never);
  - `overdue_actions` while its organisation has an overdue action, since the earliest of them became overdue;
  and a stall never begins before the wave's start: a hub that sat at its stage before its wave is stalled from
  the wave's first day, so the escalation ladder starts there, not with every level due at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from rollout.config.schema import Programme, Wave

NO_PROGRESS, OVERDUE_ACTIONS = "no_progress", "overdue_actions"
DUE_SOON_DAYS = 7
ACTIVE_MARGIN = dt.timedelta(days=60)

WaveState = Literal["not started", "running", "finished"]


class DatedAction(Protocol):
    @property
    def status(self) -> str: ...  # open | done

    @property
    def due_date(self) -> dt.date: ...


class MarkedAction(DatedAction, Protocol):
    @property
    def overdue_since(self) -> dt.date | None: ...  # as the reconciler recorded it (None: not marked yet)


# -- actions ------------------------------------------------------------------------------------------------------


def overdue_from(due_date: dt.date) -> dt.date:
    """The first day an action due on `due_date` is overdue."""
    return due_date + dt.timedelta(days=1)


def past_due(due_date: dt.date, day: dt.date) -> bool:
    """Is `day` after the due date (whether or not the action is still open)?"""
    return day >= overdue_from(due_date)


def is_overdue(action: DatedAction, today: dt.date) -> bool:
    return action.status == "open" and past_due(action.due_date, today)


def days_overdue(due_date: dt.date, today: dt.date) -> int:
    return max(0, (today - due_date).days)


def is_due_soon(action: DatedAction, today: dt.date) -> bool:
    return action.status == "open" and today <= action.due_date < today + dt.timedelta(days=DUE_SOON_DAYS)


# -- waves --------------------------------------------------------------------------------------------------------


def has_started(wave: Wave, today: dt.date) -> bool:
    return wave.start <= today


def wave_state(wave: Wave, today: dt.date) -> WaveState:
    if not has_started(wave, today):
        return "not started"
    return "running" if today <= wave.end else "finished"


def active_waves(programme: Programme, today: dt.date) -> list[str]:
    """Waves whose runs are active today (see ACTIVE_MARGIN)."""
    return [w.id for w in programme.waves if w.start - ACTIVE_MARGIN <= today <= w.end + ACTIVE_MARGIN]


def engaged_since(programme: Programme, today: dt.date) -> dict[str, dt.date]:
    """LCPs whose wave has started -> the day their first wave started: the programme holds their hubs to its pace
    from then."""
    since: dict[str, dt.date] = {}
    for wave in programme.waves:
        if has_started(wave, today):
            for lcp in wave.lcps:
                since[lcp] = min(since.get(lcp, wave.start), wave.start)
    return since


# -- hubs ---------------------------------------------------------------------------------------------------------


def no_progress_from(stage_since: dt.date, stall_after_days: int | None) -> dt.date | None:
    """The first day a hub at its stage since `stage_since` (local date) is stalled for no progress."""
    return stage_since + dt.timedelta(days=stall_after_days + 1) if stall_after_days else None


@dataclass(frozen=True)
class StallRule:
    """The stall rule for one day; `of(programme, today)` once per run, then `stalls(...)` per hub."""

    today: dt.date
    engaged: Mapping[str, dt.date]  # LCP -> the day its wave started (only LCPs whose wave has started)
    limits: Mapping[int, int | None]  # stage number -> stall_after_days

    @classmethod
    def of(cls, programme: Programme, today: dt.date) -> StallRule:
        limits = {stage.number: stage.stall_after_days for stage in programme.stages}
        return cls(today, engaged_since(programme, today), limits)

    def stalls(
        self, lcp_id: str, stage: int, stage_since: dt.date, open_actions: Iterable[MarkedAction]
    ) -> dict[str, dt.date]:
        """{reason: the day the stall began} for one hub (empty: not stalled). `stage_since` is a local date;
        `open_actions` are its organisation's actions (done ones count for nothing)."""
        wave_start = self.engaged.get(lcp_id)
        if wave_start is None:
            return {}
        found: dict[str, dt.date] = {}
        began = no_progress_from(stage_since, self.limits.get(stage))
        if began is not None and self.today >= began:
            found[NO_PROGRESS] = max(began, wave_start)
        overdue = [a.overdue_since or overdue_from(a.due_date) for a in open_actions if is_overdue(a, self.today)]
        if overdue:
            found[OVERDUE_ACTIONS] = max(min(overdue), wave_start)
        return found
