"""The digest's figures: a pure function of (programme state, programme config, week, last digest's counters).

Windows, all at the programme's local wall-clock time:
- "recent" (hub movements, actions completed) = the 7 days up to as_of;
- "due soon", "overdue", "stalled" and a wave's state are rollout.planning.status's rules, applied to as_of's
  local date: the same the reconciler escalates and `rollout hubs list --stalled` shows.

Week-over-week change compares with the counters stored by the most recent earlier digest (DigestSnapshot), so a
change reconciles with the numbers people read in that email; with no earlier digest there is no change to show.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from rollout.attendance.figures import AttendanceFigures
from rollout.config.schema import Programme
from rollout.digest.state import ActionRow, HubRow, InvitationRow, OrgRow, ProgrammeState, WorkshopRow
from rollout.digest.week import Week
from rollout.planning.status import (
    NO_PROGRESS,
    OVERDUE_ACTIONS,
    StallRule,
    WaveState,
    days_overdue,
    is_due_soon,
    is_overdue,
    wave_state,
)

RECENT = dt.timedelta(days=7)
LONG_OVERDUE_DAYS = 60  # overdue longer than this: counted, no longer listed week after week
RSVP_WINDOW = dt.timedelta(days=21)  # a next workshop this close with under half the replies needs attention
LOW_REPLY_SHARE = 0.5
COUNTERS_VERSION = 1
NOTIFIED = {"hub_contact": "hub contact", "lcp_lead": "LCP lead", "programme_manager": "programme manager"}
REASONS = {"no_progress": "no stage progress", "overdue_actions": "overdue actions"}


@dataclass(frozen=True)
class Count:
    """A figure and, when an earlier digest reported it, that figure then."""

    now: int
    before: int | None = None

    @property
    def delta(self) -> int | None:
        return None if self.before is None else self.now - self.before

    @property
    def change(self) -> str:
        """'+2', '−1', 'no change', or '' when there is nothing to compare with."""
        delta = self.delta
        if delta is None:
            return ""
        if delta == 0:
            return "no change"
        return f"+{delta}" if delta > 0 else f"−{-delta}"


@dataclass(frozen=True)
class Baseline:
    """The counters an earlier digest stored; `value(...)` is None for anything it did not report."""

    week_start: dt.date
    counters: Mapping[str, Any]

    def value(self, *path: str) -> int | None:
        node: Any = self.counters
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, int) else None


@dataclass(frozen=True)
class WorkshopLine:
    number: int
    title: str
    when: str  # local: "Tue 18 Oct 2022, 10:00–12:00"
    starts_at: dt.datetime  # UTC
    state: str  # done | upcoming | cancelled


@dataclass(frozen=True)
class Rsvp:
    accepted: int = 0
    tentative: int = 0
    declined: int = 0
    no_response: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.tentative + self.declined + self.no_response

    @property
    def replied(self) -> int:
        return self.total - self.no_response

    @classmethod
    def of(cls, invitations: Sequence[InvitationRow]) -> Rsvp:
        counts = Counter(i.response for i in invitations)
        return cls(counts["accepted"], counts["tentative"], counts["declined"], counts["none"])


@dataclass(frozen=True)
class ActionLine:
    title: str
    owner: str  # the organisation, or the LCP lead's name for an LCP-lead action
    workshop_number: int | None
    due_date: dt.date
    days_overdue: int


@dataclass(frozen=True)
class StageBar:
    number: int
    title: str
    hubs: Count


@dataclass(frozen=True)
class HubMove:
    organisation: str
    from_stage: int | None  # None: became a hub
    to_stage: int
    on: dt.date  # local
    by: str


@dataclass(frozen=True)
class StalledHub:
    organisation: str
    stage: int
    stage_title: str
    days_at_stage: int
    limit_days: int | None  # the stage's stall_after_days
    no_progress_since: dt.date | None  # None: stalled for overdue actions only
    overdue_actions_since: dt.date | None
    began_recently: bool = False  # the stall began in the last 7 days

    @property
    def why(self) -> str:
        """'stage 1 (Title) for 138 days, expected at most 90; overdue actions since 11 Oct'."""
        reasons = []
        if self.no_progress_since is not None:
            reasons.append(
                f"stage {self.stage} ({self.stage_title}) for {self.days_at_stage} days, "
                f"expected at most {self.limit_days}"
            )
        if self.overdue_actions_since is not None:
            since = self.overdue_actions_since
            reasons.append(f"overdue actions since {since.day} {since:%b}")
        return "; ".join(reasons)

    @property
    def new(self) -> bool:
        return self.began_recently


@dataclass(frozen=True)
class OpenEscalation:
    organisation: str
    reason: str
    stalled_since: dt.date
    days: int
    level: int
    notified: str  # who the highest level reached ("nobody yet" at level 0)
    status: str  # "open", "acknowledged", "snoozed until 24 Oct 2022"
    lcp_name: str = ""
    opened_recently: bool = False  # opened in the last 7 days


@dataclass(frozen=True)
class RoleCover:
    role_id: str
    title: str
    partners: int


@dataclass(frozen=True)
class LcpFigures:
    id: str
    name: str
    lead_name: str
    lead_email: str
    wave_id: str | None
    wave_name: str | None
    partners: Count
    hubs: Count
    funnel: tuple[StageBar, ...]
    next_workshop: WorkshopLine | None
    rsvp: Rsvp
    awaiting_reply: tuple[str, ...]  # "Name (Organisation)" of invitees who have not responded
    actions_done: Count
    actions_done_recently: int
    due_soon: tuple[ActionLine, ...]
    overdue: tuple[ActionLine, ...]
    actions_overdue: Count
    movements: tuple[HubMove, ...]
    stalled: tuple[StalledHub, ...]
    escalations: tuple[OpenEscalation, ...]
    open_escalations: Count
    roles: tuple[RoleCover, ...]
    role_gaps: Count

    @property
    def gaps(self) -> tuple[str, ...]:
        """Titles of the roles no partner of this LCP plays: the gap to fill next."""
        return tuple(r.title for r in self.roles if r.partners == 0)

    @property
    def recent_overdue(self) -> tuple[ActionLine, ...]:
        """Overdue actions still worth listing by name; older ones are counted (`long_overdue`)."""
        return tuple(a for a in self.overdue if a.days_overdue <= LONG_OVERDUE_DAYS)

    @property
    def long_overdue(self) -> int:
        return len(self.overdue) - len(self.recent_overdue)

    @property
    def has_activity(self) -> bool:
        return bool(self.partners.now or self.hubs.now or self.next_workshop or self.actions_done.now or self.overdue)


@dataclass(frozen=True)
class WaveFigures:
    id: str
    name: str
    start: dt.date
    end: dt.date
    lcp_names: tuple[str, ...]
    state: WaveState
    workshops: tuple[WorkshopLine, ...]  # empty until the wave is launched
    workshops_done: Count
    workshops_upcoming: int
    next_workshop: WorkshopLine | None
    rsvp: Rsvp  # next workshop, within the digest's scope
    rsvp_by_lcp: tuple[tuple[str, Rsvp], ...]  # LCP name, its RSVPs (whole-programme digest only)

    @property
    def launched(self) -> bool:
        return bool(self.workshops)

    @property
    def status_text(self) -> str:
        """One phrase, never two that contradict ("finished" and "not launched yet")."""
        ends, starts = _day(self.end), _day(self.start)
        if not self.launched:
            if self.state == "finished":
                return f"ended {ends} without being launched"
            if self.state == "running":
                return f"started {starts}, not launched yet"
            return f"starts {starts}, not launched yet"
        held = f"{self.workshops_done.now} of {len(self.workshops)} workshops held"
        if self.state == "finished":
            return f"finished {ends}, {held}"
        if self.state == "not started":
            return f"starts {starts}, launched"
        return f"running until {ends}, {held}"


def _escalation_order(e: OpenEscalation) -> tuple[int, dt.date, str]:
    return (-e.level, e.stalled_since, e.organisation.casefold())


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


@dataclass(frozen=True)
class LowRsvp:
    wave_name: str
    title: str
    when: str
    invited: int
    replied: int
    accepted: int


@dataclass(frozen=True)
class Attention:
    """What the reader should act on this week, in the digest's scope; empty lists when all is well."""

    new_stalls: tuple[tuple[str, StalledHub], ...]  # (LCP name, hub) stalls that began in the last 7 days
    escalations: tuple[OpenEscalation, ...]  # opened this week, or at the programme manager's level
    overdue_by_lcp: tuple[tuple[str, int, int], ...]  # (LCP name, overdue actions, of which long overdue)
    role_gaps: tuple[tuple[str, tuple[str, ...]], ...]  # (LCP name, roles no partner plays), LCPs in a running wave
    low_rsvps: tuple[LowRsvp, ...]

    @property
    def empty(self) -> bool:
        return not (self.new_stalls or self.escalations or self.overdue_by_lcp or self.role_gaps or self.low_rsvps)

    @property
    def overdue_total(self) -> int:
        return sum(n for _, n, _ in self.overdue_by_lcp)


@dataclass(frozen=True)
class Totals:
    partners: Count
    active_contacts: int
    opted_out_this_week: int  # used the "stop emails" link since the week began (privacy)
    hubs: Count
    funnel: tuple[StageBar, ...]
    workshops_done: Count
    actions_done: Count
    actions_overdue: Count
    open_escalations: Count
    role_gaps: Count
    people_invited: Count  # one per person per workshop whose calendar invitation went out
    people_replied: Count  # of those, the ones who accepted, declined or answered tentatively
    messages_sent: Count
    messages_failed: Count
    messages_waiting: int  # pending or being sent
    messages_dropped: int


@dataclass(frozen=True)
class Digest:
    programme_name: str
    time_label: str
    week: Week
    compared_with: dt.date | None  # week_start of the digest the changes are measured against
    scope: tuple[str, ...] | None  # None: the whole programme; else the LCP ids it covers
    scope_name: str
    waves: tuple[WaveFigures, ...]
    lcps: tuple[LcpFigures, ...]
    totals: Totals | None  # whole-programme digest only
    attention: Attention
    attendance: AttendanceFigures | None = None  # recent workshops' attendance (rollout.attendance.figures)

    @property
    def whole_programme(self) -> bool:
        return self.scope is None

    @property
    def as_of_text(self) -> str:
        local = self.week.local_as_of
        return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} ({self.time_label})"

    @property
    def week_text(self) -> str:
        return f"{self.week.start.day} {self.week.start:%B %Y}"

    @property
    def compared_text(self) -> str:
        if self.compared_with is None:
            return "No earlier digest to compare with, so no changes are shown this time."
        if self.compared_with == self.week.start - dt.timedelta(days=7):
            return "Changes are since last week's digest."
        return f"Changes are since the digest for the week of {self.compared_with.day} {self.compared_with:%B %Y}."

    def counters(self) -> dict[str, Any]:
        """What next week's digest compares with: counts only, no names (stored as DigestSnapshot.figures)."""
        result: dict[str, Any] = {
            "version": COUNTERS_VERSION,
            "week_start": self.week.start.isoformat(),
            "as_of": self.week.as_of.isoformat(),
            "waves": {w.id: {"workshops_done": w.workshops_done.now} for w in self.waves},
            "lcps": {lcp.id: _lcp_counters(lcp) for lcp in self.lcps},
        }
        if self.totals is not None:
            t = self.totals
            result["programme"] = {
                "partners": t.partners.now,
                "hubs": t.hubs.now,
                "stages": {str(bar.number): bar.hubs.now for bar in t.funnel},
                "workshops_done": t.workshops_done.now,
                "actions_done": t.actions_done.now,
                "actions_overdue": t.actions_overdue.now,
                "open_escalations": t.open_escalations.now,
                "role_gaps": t.role_gaps.now,
                "invitations_sent": t.people_invited.now,
                "people_replied": t.people_replied.now,
                "messages_sent": t.messages_sent.now,
                "messages_failed": t.messages_failed.now,
            }
        return result


def _lcp_counters(lcp: LcpFigures) -> dict[str, Any]:
    return {
        "partners": lcp.partners.now,
        "hubs": lcp.hubs.now,
        "stages": {str(bar.number): bar.hubs.now for bar in lcp.funnel},
        "actions_done": lcp.actions_done.now,
        "actions_overdue": lcp.actions_overdue.now,
        "open_escalations": lcp.open_escalations.now,
        "role_gaps": lcp.role_gaps.now,
    }


# -- computing ------------------------------------------------------------------------------------------------------


def programme_digest(
    state: ProgrammeState, programme: Programme, week: Week, previous: Baseline | None = None
) -> Digest:
    """The whole programme, for programme managers and the Prefect artifact."""
    return _Computation(state, programme, week, previous).digest(scope=None)


def lcp_digest(
    state: ProgrammeState,
    programme: Programme,
    week: Week,
    lcp_ids: Collection[str],
    previous: Baseline | None = None,
) -> Digest:
    """Only these LCPs, computed from a state restricted to them: what their lead receives."""
    ordered = tuple(lcp.id for lcp in programme.lcps if lcp.id in set(lcp_ids))
    unknown = set(lcp_ids) - set(ordered)
    if unknown or not ordered:
        raise KeyError(f"unknown LCP {', '.join(sorted(unknown)) or '(none given)'}")
    return _Computation(state.restricted_to(ordered), programme, week, previous).digest(scope=ordered)


class _Computation:
    def __init__(self, state: ProgrammeState, programme: Programme, week: Week, previous: Baseline | None) -> None:
        self.state, self.programme, self.week, self.previous = state, programme, week, previous
        self.zone = ZoneInfo(programme.programme.timezone)
        self.today = week.today
        self.orgs = {o.id: o for o in state.organisations}
        self.hubs = {h.id: h for h in state.hubs}
        self.workshops = {w.id: w for w in state.workshops}
        self.wave_of_lcp = {lcp: wave.id for wave in programme.waves for lcp in wave.lcps}
        self.stall_rule = StallRule.of(programme, self.today)

    def count(self, now: int, *path: str) -> Count:
        return Count(now, self.previous.value(*path) if self.previous else None)

    def local_date(self, value: dt.datetime) -> dt.date:
        return value.astimezone(self.zone).date()

    # -- the whole digest ---------------------------------------------------------------------------------------

    def digest(self, scope: tuple[str, ...] | None) -> Digest:
        lcp_ids = [lcp.id for lcp in self.programme.lcps if scope is None or lcp.id in scope]
        lcps = tuple(self.lcp(lcp_id) for lcp_id in lcp_ids)
        wave_ids = [w.id for w in self.programme.waves if scope is None or set(w.lcps) & set(lcp_ids)]
        waves = tuple(self.wave(wave_id, whole=scope is None) for wave_id in wave_ids)
        names = [self.programme.lcp(i).name for i in lcp_ids]
        return Digest(
            programme_name=self.programme.programme.name,
            time_label=self.programme.programme.time_label or self.programme.programme.timezone,
            week=self.week,
            compared_with=self.previous.week_start if self.previous else None,
            scope=scope,
            scope_name="the whole programme" if scope is None else " and ".join(names),
            waves=waves,
            lcps=lcps,
            totals=self.totals(lcps, waves) if scope is None else None,
            attention=self.attention(lcps, waves),
        )

    def attention(self, lcps: Sequence[LcpFigures], waves: Sequence[WaveFigures]) -> Attention:
        running = {name for w in waves if w.state == "running" for name in w.lcp_names}
        top = NOTIFIED["programme_manager"]
        escalations = [e for lcp in lcps for e in lcp.escalations if e.opened_recently or e.notified == top]
        low = [
            LowRsvp(w.name, w.next_workshop.title, w.next_workshop.when, w.rsvp.total, w.rsvp.replied, w.rsvp.accepted)
            for w in waves
            if w.next_workshop
            and w.next_workshop.starts_at - self.week.as_of <= RSVP_WINDOW
            and w.rsvp.total
            and w.rsvp.replied < LOW_REPLY_SHARE * w.rsvp.total
        ]
        return Attention(
            new_stalls=tuple((lcp.name, s) for lcp in lcps for s in lcp.stalled if s.new),
            escalations=tuple(sorted(escalations, key=_escalation_order)),
            overdue_by_lcp=tuple((lcp.name, len(lcp.overdue), lcp.long_overdue) for lcp in lcps if lcp.overdue),
            role_gaps=tuple((lcp.name, lcp.gaps) for lcp in lcps if lcp.gaps and lcp.name in running),
            low_rsvps=tuple(low),
        )

    # -- waves and workshops ------------------------------------------------------------------------------------

    def workshop_line(self, row: WorkshopRow) -> WorkshopLine:
        start, end = row.starts_at.astimezone(self.zone), row.ends_at.astimezone(self.zone)
        state = "done" if row.ends_at <= self.week.as_of else "upcoming"
        if row.status == "cancelled":
            state = "cancelled"
        when = f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}"
        return WorkshopLine(row.number, row.title, when, row.starts_at, state)

    def wave_workshops(self, wave_id: str) -> list[WorkshopRow]:
        return sorted((w for w in self.state.workshops if w.wave_id == wave_id), key=lambda w: w.number)

    def next_workshop(self, wave_id: str) -> WorkshopRow | None:
        upcoming = [w for w in self.wave_workshops(wave_id) if self.workshop_line(w).state == "upcoming"]
        return min(upcoming, key=lambda w: w.starts_at, default=None)

    def wave(self, wave_id: str, *, whole: bool) -> WaveFigures:
        config = self.programme.wave(wave_id)
        rows = self.wave_workshops(wave_id)
        lines = tuple(self.workshop_line(w) for w in rows)
        following = self.next_workshop(wave_id)
        attendees = [i for i in self.state.invitations if following and i.workshop_id == following.id]
        by_lcp = tuple(
            (self.programme.lcp(lcp).name, Rsvp.of([i for i in attendees if i.lcp_id == lcp]))
            for lcp in config.lcps
            if lcp in self.state.lcp_ids
        )
        return WaveFigures(
            id=config.id,
            name=config.name,
            start=config.start,
            end=config.end,
            lcp_names=tuple(self.programme.lcp(lcp).name for lcp in config.lcps),
            state=wave_state(config, self.today),
            workshops=lines,
            workshops_done=self.count(sum(1 for w in lines if w.state == "done"), "waves", wave_id, "workshops_done"),
            workshops_upcoming=sum(1 for w in lines if w.state == "upcoming"),
            next_workshop=self.workshop_line(following) if following else None,
            rsvp=Rsvp.of(attendees),
            rsvp_by_lcp=by_lcp if whole else (),
        )

    # -- one LCP ------------------------------------------------------------------------------------------------

    def lcp(self, lcp_id: str) -> LcpFigures:
        config = self.programme.lcp(lcp_id)
        wave_id = self.wave_of_lcp.get(lcp_id)
        path = ("lcps", lcp_id)
        partners = [o for o in self.state.organisations if o.lcp_id == lcp_id and o.is_partner]
        hubs = [h for h in self.state.hubs if h.lcp_id == lcp_id]
        actions = [a for a in self.state.actions if a.lcp_id == lcp_id]
        following = self.next_workshop(wave_id) if wave_id else None
        attendees = [i for i in self.state.invitations if following and i.workshop_id == following.id]
        attendees = [i for i in attendees if i.lcp_id == lcp_id]
        overdue = self.overdue(actions, config.lead.name)
        escalations = self.escalations({h.id for h in hubs})
        roles = self.role_cover(partners)
        return LcpFigures(
            id=lcp_id,
            name=config.name,
            lead_name=config.lead.name,
            lead_email=str(config.lead.email),
            wave_id=wave_id,
            wave_name=self.programme.wave(wave_id).name if wave_id else None,
            partners=self.count(len(partners), *path, "partners"),
            hubs=self.count(len(hubs), *path, "hubs"),
            funnel=self.funnel(Counter(h.stage for h in hubs), path),
            next_workshop=self.workshop_line(following) if following else None,
            rsvp=Rsvp.of(attendees),
            awaiting_reply=tuple(self.invitee_name(i) for i in attendees if i.response == "none"),
            actions_done=self.count(sum(1 for a in actions if a.status == "done"), *path, "actions_done"),
            actions_done_recently=sum(1 for a in actions if self.recent(a.done_at)),
            due_soon=self.due_soon(actions, config.lead.name),
            overdue=overdue,
            actions_overdue=self.count(len(overdue), *path, "actions_overdue"),
            movements=self.movements({h.id for h in hubs}),
            stalled=self.stalled(hubs, actions),
            escalations=escalations,
            open_escalations=self.count(len(escalations), *path, "open_escalations"),
            roles=roles,
            role_gaps=self.count(sum(1 for r in roles if r.partners == 0), *path, "role_gaps"),
        )

    def invitee_name(self, invitation: InvitationRow) -> str:
        org = self.orgs.get(invitation.organisation_id) if invitation.organisation_id else None
        return f"{invitation.name} ({org.name})" if org else invitation.name

    def recent(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.week.as_of - RECENT < moment <= self.week.as_of

    def action_line(self, action: ActionRow, lead_name: str) -> ActionLine:
        org = self.orgs.get(action.organisation_id) if action.organisation_id else None
        owner = org.name if org else (lead_name if action.owner_role == "lcp_lead" else "unassigned")
        workshop = self.workshops.get(action.workshop_id)
        return ActionLine(
            title=action.title,
            owner=owner,
            workshop_number=workshop.number if workshop else None,
            due_date=action.due_date,
            days_overdue=days_overdue(action.due_date, self.today),
        )

    def overdue(self, actions: Sequence[ActionRow], lead_name: str) -> tuple[ActionLine, ...]:
        late = [a for a in actions if is_overdue(a, self.today)]
        lines = [self.action_line(a, lead_name) for a in late]
        return tuple(sorted(lines, key=lambda a: (-a.days_overdue, a.owner.casefold(), a.title)))

    def due_soon(self, actions: Sequence[ActionRow], lead_name: str) -> tuple[ActionLine, ...]:
        soon = [a for a in actions if is_due_soon(a, self.today)]
        lines = [self.action_line(a, lead_name) for a in soon]
        return tuple(sorted(lines, key=lambda a: (a.due_date, a.owner.casefold(), a.title)))

    def funnel(self, by_stage: Mapping[int, int], path: Sequence[str]) -> tuple[StageBar, ...]:
        return tuple(
            StageBar(
                stage.number, stage.title, self.count(by_stage.get(stage.number, 0), *path, "stages", str(stage.number))
            )
            for stage in sorted(self.programme.stages, key=lambda s: s.number)
        )

    def org_of_hub(self, hub_id: int) -> OrgRow | None:
        hub = self.hubs.get(hub_id)
        return self.orgs.get(hub.organisation_id) if hub else None

    def lcp_name_of_hub(self, hub_id: int) -> str:
        hub = self.hubs.get(hub_id)
        return self.programme.lcp(hub.lcp_id).name if hub else ""

    def hub_name(self, hub_id: int) -> str:
        org = self.org_of_hub(hub_id)
        return org.name if org else f"hub {hub_id}"

    def movements(self, hub_ids: Collection[int]) -> tuple[HubMove, ...]:
        return tuple(
            HubMove(self.hub_name(c.hub_id), c.from_stage, c.to_stage, self.local_date(c.changed_at), c.changed_by)
            for c in self.state.recent_stage_changes
            if c.hub_id in hub_ids and self.recent(c.changed_at) and c.source != "import"
        )

    def stalled(self, hubs: Sequence[HubRow], actions: Sequence[ActionRow]) -> tuple[StalledHub, ...]:
        open_by_org: dict[int, list[ActionRow]] = {}
        for a in actions:
            if a.organisation_id is not None and a.status == "open":
                open_by_org.setdefault(a.organisation_id, []).append(a)
        result = []
        for hub in hubs:
            since = self.local_date(hub.stage_since)
            stalls = self.stall_rule.stalls(hub.lcp_id, hub.stage, since, open_by_org.get(hub.organisation_id, []))
            if not stalls:
                continue
            stage = next((s for s in self.programme.stages if s.number == hub.stage), None)
            result.append(
                StalledHub(
                    self.hub_name(hub.id),
                    hub.stage,
                    stage.title if stage else f"stage {hub.stage}",
                    (self.today - since).days,
                    stage.stall_after_days if stage else None,
                    stalls.get(NO_PROGRESS),
                    stalls.get(OVERDUE_ACTIONS),
                    min(stalls.values()) > self.today - RECENT,
                )
            )
        return tuple(sorted(result, key=lambda s: (-s.days_at_stage, s.organisation.casefold())))

    def escalations(self, hub_ids: Collection[int]) -> tuple[OpenEscalation, ...]:
        levels = self.programme.escalation.levels
        result = []
        for e in self.state.escalations:
            if e.hub_id not in hub_ids:
                continue
            notified = NOTIFIED[levels[e.level - 1].to] if 1 <= e.level <= len(levels) else "nobody yet"
            status = e.status
            if e.status == "snoozed" and e.snoozed_until:
                status = f"snoozed until {e.snoozed_until.day} {e.snoozed_until:%b %Y}"
            result.append(
                OpenEscalation(
                    organisation=self.hub_name(e.hub_id),
                    reason=REASONS.get(e.reason, e.reason.replace("_", " ")),
                    stalled_since=e.stalled_since,
                    days=(self.today - e.stalled_since).days,
                    level=e.level,
                    notified=notified,
                    status=status,
                    lcp_name=self.lcp_name_of_hub(e.hub_id),
                    opened_recently=self.recent(e.created_at),
                )
            )
        return tuple(sorted(result, key=lambda e: (-e.level, e.stalled_since, e.organisation.casefold())))

    def role_cover(self, partners: Sequence[OrgRow]) -> tuple[RoleCover, ...]:
        return tuple(
            RoleCover(role.id, role.title, sum(1 for p in partners if role.id in p.roles))
            for role in self.programme.roles
        )

    # -- the programme ------------------------------------------------------------------------------------------

    def totals(self, lcps: Sequence[LcpFigures], waves: Sequence[WaveFigures]) -> Totals:
        path = ("programme",)
        stages = Counter(h.stage for h in self.state.hubs)
        sent_events = {w.id for w in self.state.workshops if w.event_created}
        messages = self.state.messages
        invited = [i for i in self.state.invitations if i.workshop_id in sent_events]
        return Totals(
            partners=self.count(sum(lcp.partners.now for lcp in lcps), *path, "partners"),
            active_contacts=sum(o.active_contacts for o in self.state.organisations),
            opted_out_this_week=sum(
                1 for at in self.state.opt_outs if self.week.start <= self.local_date(at) <= self.week.today
            ),
            hubs=self.count(len(self.state.hubs), *path, "hubs"),
            funnel=self.funnel(stages, path),
            workshops_done=self.count(sum(w.workshops_done.now for w in waves), *path, "workshops_done"),
            actions_done=self.count(sum(lcp.actions_done.now for lcp in lcps), *path, "actions_done"),
            actions_overdue=self.count(sum(lcp.actions_overdue.now for lcp in lcps), *path, "actions_overdue"),
            open_escalations=self.count(sum(lcp.open_escalations.now for lcp in lcps), *path, "open_escalations"),
            role_gaps=self.count(sum(lcp.role_gaps.now for lcp in lcps), *path, "role_gaps"),
            people_invited=self.count(len(invited), *path, "invitations_sent"),
            people_replied=self.count(sum(1 for i in invited if i.response != "none"), *path, "people_replied"),
            messages_sent=self.count(messages.get("sent", 0), *path, "messages_sent"),
            messages_failed=self.count(messages.get("failed", 0), *path, "messages_failed"),
            messages_waiting=messages.get("pending", 0) + messages.get("sending", 0),
            messages_dropped=messages.get("dropped", 0),
        )
