"""The reconciler's decision pass at national scale, against a raw scan of the same rows.

Generates a synthetic national programme (the Leeds config with --lcps generated LCPs in waves of four, spread over
two years), fills a fresh database with it in bulk (SQLAlchemy Core executemany), and measures at each scale:

  decision pass   load_snapshot + decide_changes + decide_messages for --as-of (one snapshot, nothing written);
  raw scan        the snapshot's own nine SELECTs (same tables, columns and filters: the same rows) executed on a
                  Core connection and fetched, no logic; the rows held and the garbage collector paused, as
                  load_snapshot does; "driver" is the same SQL on the bare DB-API cursor;
  statements      SQL statements the decision pass issues (a before_cursor_execute listener): must be the same at
                  every scale;
  peak memory     tracemalloc's peak during one decision pass (Python allocations), and the process's max RSS.

Times are the median of --repeat runs after one warm-up, decision passes and raw scans alternating.

Usage:
    PYTHONPATH=. python bench/reconcile_scale.py                      # SQLite files in a temporary directory
    PYTHONPATH=. python bench/reconcile_scale.py --lcps 100 --partners 10000 --hubs 1000 --actions 60000 \\
        --scales 0.1,0.5,1 --database-url postgresql://postgres@127.0.0.1:5432/test

With a PostgreSQL URL the benchmark creates its own database per scale on that server (rollout_bench_*) and
drops it afterwards (--keep keeps them). A sqlite:///DIR/NAME.db URL puts the files at DIR/NAME-<scale>.db.

Exit status 1 if the statement count differs between scales, if the decision pass takes more than --max-ratio
(default 3) times the raw scan at the largest scale, or if the raw scan and the snapshot read different rows.
Figures and how to read them: docs/performance.md, "Reconcile at national scale".
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tomllib
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from rollout.config.load import programme_from_dict
from rollout.config.schema import Programme, Wave
from rollout.db import models
from rollout.db.migrate import upgrade
from rollout.db.session import make_engine, normalise_url, session_factory
from rollout.planning.audience import Invitee, PartnerContact, invitees
from rollout.planning.planner import WorkshopSlot, calendar_for, plan
from rollout.reconcile import keys
from rollout.reconcile.decide import decide_changes, decide_messages
from rollout.reconcile.stalls import current_stalls
from rollout.reconcile.state import Snapshot, collector_paused, load_snapshot, snapshot_queries

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "waves.toml"
UK = ZoneInfo("Europe/London")
FIRST_WAVE = dt.date(2024, 1, 1)
SPAN_DAYS = 730  # the waves' starts are spread over two years whatever their number
WAVE_DAYS = 182
LCPS_PER_WAVE = 4
LAUNCH_AHEAD_DAYS = 45  # a wave's workshops exist (launched, invitations sent) this long before it starts
DEFAULT_AS_OF = dt.datetime(2025, 2, 4, 7, 0, tzinfo=UK)  # a Tuesday, 400 days after the first wave starts


# --------------------------------------------------------------------------------------------------------------------
# The programme


def build_programme(lcps: int, config: Path = CONFIG) -> Programme:
    """The Leeds config with `lcps` generated LCPs in waves of four whose starts are spread over two years."""
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    ids = [f"lcp-{n:03d}" for n in range(1, lcps + 1)]
    raw["lcps"] = [
        {"id": i, "name": f"LCP {i[4:]}", "lead": {"name": f"LCP {i[4:]} lead", "email": f"{i}.lead@example.org"}}
        for i in ids
    ]
    count = math.ceil(lcps / LCPS_PER_WAVE)
    raw["waves"] = []
    for w in range(count):
        start = FIRST_WAVE + dt.timedelta(days=w * SPAN_DAYS // count)
        raw["waves"].append(
            {
                "id": f"wave-{w + 1}",
                "name": f"Wave {w + 1}",
                "start": start,
                "end": start + dt.timedelta(days=WAVE_DAYS),
                "lcps": ids[w * LCPS_PER_WAVE : (w + 1) * LCPS_PER_WAVE],
            }
        )
    return programme_from_dict(raw, f"{config} (with {lcps} generated LCPs)")


# --------------------------------------------------------------------------------------------------------------------
# The data


@dataclass(frozen=True)
class Scale:
    lcps: int
    partners: int  # organisations; every fifth has a second contact
    hubs: int
    actions: int

    def times(self, fraction: float) -> Scale:
        return Scale(
            max(1, round(self.lcps * fraction)),
            max(1, round(self.partners * fraction)),
            max(1, round(self.hubs * fraction)),
            max(1, round(self.actions * fraction)),
        )

    def __str__(self) -> str:
        return f"{self.lcps} LCPs, {self.partners} partners, {self.hubs} hubs, {self.actions} actions"


Rows = list[dict[str, Any]]


@dataclass
class Tables:
    """Rows per table, in insertion (foreign-key) order; ids are assigned here."""

    rows: dict[str, Rows] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, **values: Any) -> int:
        """Append a row with the next integer id; returns the id."""
        rows = self.rows[table]
        values["id"] = len(rows) + 1
        rows.append(values)
        return len(rows)

    def keyed(self, table: str, **values: Any) -> None:
        """Append a row that carries its own (string) id."""
        self.rows[table].append(values)


def _utc(moment: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment.timestamp(), dt.UTC)


def _local_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=UK).astimezone(dt.UTC)


def generate(programme: Programme, scale: Scale, as_of: dt.datetime, seed: int = 7) -> Tables:
    """Everything but escalations and the outbox (they depend on what the reconciler would see; see populate).

    One random stream, drawn in a fixed order (partners, then workshops, then actions): the same seed gives the same
    rows."""
    rng = random.Random(seed)
    today = as_of.astimezone(UK).date()
    t = Tables()
    for lcp in programme.lcps:
        t.keyed("lcp", id=lcp.id, name=lcp.name, lead_name=lcp.lead.name, lead_email=str(lcp.lead.email))
    for wave in programme.waves:
        t.keyed("wave", id=wave.id, name=wave.name, start_date=wave.start, end_date=wave.end)
    partners = _add_partners(t, programme, scale, rng, today)
    natural, held = _add_workshops(t, programme, partners, rng, as_of)
    _add_actions(t, programme, scale, rng, today, natural, held, partners.orgs_by_lcp)
    return t


@dataclass
class _Partners:
    """What the workshops and actions need to know about the generated partners."""

    contacts: dict[str, list[PartnerContact]] = field(default_factory=lambda: defaultdict(list))  # active, per LCP
    orgs_by_lcp: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hub_orgs: set[int] = field(default_factory=set)
    interested: set[int] = field(default_factory=set)
    organisation_of: dict[int, int] = field(default_factory=dict)  # contact id -> organisation id


def _add_partners(t: Tables, programme: Programme, scale: Scale, rng: random.Random, today: dt.date) -> _Partners:
    """Organisations spread evenly over the LCPs, a contact each (two for every fifth), some hubs."""
    lcp_ids = [lcp.id for lcp in programme.lcps]
    roles, sectors = programme.role_ids, programme.sector_ids
    hub_every = max(1, scale.partners // scale.hubs)
    ps = _Partners()
    for n in range(scale.partners):
        lcp_id = lcp_ids[n % len(lcp_ids)]
        sector = rng.choices(sectors, weights=[3, 2, 5] if len(sectors) == 3 else None)[0]
        org_roles = sorted(rng.sample(roles, rng.randint(1, 3)))
        # Every hub_every-th organisation *of its LCP* is a hub, so every LCP has its share of the hubs.
        is_hub = (n // len(lcp_ids)) % hub_every == 0 and len(ps.hub_orgs) < scale.hubs
        interest = not is_hub and rng.random() < 0.1
        org_id = t.add(
            "organisation",
            lcp_id=lcp_id,
            name=f"Partner {n + 1:05d}",
            sector=sector,
            roles=org_roles,
            hub_interest=interest,
        )
        ps.orgs_by_lcp[lcp_id].append(org_id)
        if interest:
            ps.interested.add(org_id)
        if is_hub:
            ps.hub_orgs.add(org_id)
            _add_hub(t, rng, org_id, today)
        for k in range(2 if n % 5 == 0 else 1):
            email = f"c{k + 1}@partner-{n + 1:05d}.example.org"
            active = rng.random() >= 0.02
            name = f"Contact {k + 1} of partner {n + 1}"
            contact_id = t.add("contact", organisation_id=org_id, name=name, email=email, active=active)
            ps.organisation_of[contact_id] = org_id
            if active:
                ps.contacts[lcp_id].append(
                    PartnerContact(
                        contact_id=contact_id,
                        name=name,
                        email=email,
                        organisation_id=org_id,
                        organisation=f"Partner {n + 1:05d}",
                        lcp_id=lcp_id,
                        sector=sector,
                        roles=frozenset(org_roles),
                        hub_status="hub" if is_hub else "prospective" if interest else "none",
                    )
                )
    return ps


def _add_hub(t: Tables, rng: random.Random, org_id: int, today: dt.date) -> None:
    stage = rng.choices([1, 2, 3, 4], weights=[4, 3, 2, 1])[0]
    since = _local_noon(today - dt.timedelta(days=rng.randint(1, 540)))
    hub_id = t.add("hub", organisation_id=org_id, stage=stage, stage_since=since)
    t.add(
        "hub_stage_change",
        hub_id=hub_id,
        from_stage=stage - 1 or None,
        to_stage=stage,
        changed_at=since,
        changed_by="bench",
        source="import",
    )


_Held = tuple[int, str, dt.date]  # (workshop id, wave id, local date)


def _add_workshops(
    t: Tables, programme: Programme, ps: _Partners, rng: random.Random, as_of: dt.datetime
) -> tuple[Rows, list[_Held]]:
    """Workshops of every launched wave, with their invitations and responses; the actions of held workshops (not
    yet stored: returned) and the held workshops."""
    today = as_of.astimezone(UK).date()
    cal = calendar_for(programme)
    natural: Rows = []
    held: list[_Held] = []
    for wave in programme.waves:
        if wave.start > today + dt.timedelta(days=LAUNCH_AHEAD_DAYS):
            continue
        wave_partners = [p for lcp in wave.lcps for p in ps.contacts[lcp]]
        for slot in plan(wave, programme):
            start = _utc(slot.start)
            cancelled = rng.random() < 0.02
            workshop_id = t.add(
                "workshop",
                wave_id=wave.id,
                number=slot.number,
                title=slot.title,
                starts_at=start,
                ends_at=_utc(slot.end),
                format=slot.format,
                venue=slot.venue,
                status="cancelled" if cancelled else "scheduled",
                event_id=f"event-{wave.id}-{slot.number}",
            )
            invitees_ = invitees(slot.audience, wave_partners, wave.lcps, programme)
            invited_orgs = _add_invitations(t, rng, workshop_id, invitees_, start <= as_of, ps.organisation_of)
            day = start.astimezone(UK).date()
            if cancelled or cal.add_working_days(day, 1) > today:
                continue
            held.append((workshop_id, wave.id, day))
            natural += _natural_actions(wave, slot, workshop_id, invited_orgs, ps, rng)
    return natural, held


def _add_invitations(
    t: Tables,
    rng: random.Random,
    workshop_id: int,
    invited: Sequence[Invitee],
    past: bool,
    organisation_of: dict[int, int],
) -> set[tuple[str, int]]:
    """One invitation per invitee with a response; returns the (LCP, organisation) pairs still invited."""
    invited_orgs: set[tuple[str, int]] = set()
    for invitee in invited:
        r = rng.random()
        if past:
            response = "accepted" if r < 0.5 else "declined" if r < 0.65 else "tentative" if r < 0.75 else "none"
        else:
            response = "none" if r < 0.6 else "accepted" if r < 0.85 else "tentative" if r < 0.9 else "declined"
        removed = rng.random() < 0.02
        t.add(
            "invitation",
            workshop_id=workshop_id,
            email=invitee.email,
            name=invitee.name,
            lcp_id=invitee.lcp_id,
            contact_id=invitee.contact_id,
            status="removed" if removed else "invited",
            response=response,
        )
        if invitee.contact_id is not None and not removed:
            invited_orgs.add((invitee.lcp_id, organisation_of[invitee.contact_id]))
    return invited_orgs


def _natural_actions(
    wave: Wave,
    slot: WorkshopSlot,
    workshop_id: int,
    invited_orgs: set[tuple[str, int]],
    ps: _Partners,
    rng: random.Random,
) -> Rows:
    """The config's follow-up actions of a held workshop, per owner rule (a few left for today's run to create)."""
    rows: Rows = []
    hubs_or_prospective = ps.hub_orgs | ps.interested
    for planned in slot.actions:
        if planned.owner == "lcp_lead":
            owners: list[tuple[str, int | None]] = [(lcp, None) for lcp in wave.lcps]
        elif planned.owner == "each_partner":
            owners = sorted(invited_orgs)
        else:
            owners = [(lcp, o) for lcp in wave.lcps for o in ps.orgs_by_lcp[lcp] if o in hubs_or_prospective]
        for owner_lcp, owner_org in owners:
            if rng.random() < 0.03:
                continue  # not created yet: today's decide_changes creates it (while its window is open)
            rows.append(
                {
                    "key": keys.action(wave.id, slot.number, planned.index, owner_lcp, owner_org),
                    "workshop_id": workshop_id,
                    "lcp_id": owner_lcp,
                    "organisation_id": owner_org,
                    "title": planned.title,
                    "owner_role": planned.owner,
                    "due_date": planned.due,
                }
            )
    return rows


def _add_actions(
    t: Tables,
    programme: Programme,
    scale: Scale,
    rng: random.Random,
    today: dt.date,
    natural: Rows,
    held: list[_Held],
    orgs_by_lcp: dict[str, list[int]],
) -> None:
    """The natural actions topped up to the wanted number with further follow-ups of held workshops (indexes the
    config does not have, so today's new_actions never asks for them), owned by partners of the workshop's wave;
    each done or open, and marked overdue as earlier runs would have."""
    actions = natural[: scale.actions]
    waves = {w.id: w for w in programme.waves}
    for n in range(scale.actions - len(actions)):
        if not held:
            break
        workshop_id, wave_id, day = rng.choice(held)
        lcp_id = rng.choice(waves[wave_id].lcps)
        owner: int | None = rng.choice(orgs_by_lcp[lcp_id]) if orgs_by_lcp[lcp_id] and rng.random() > 0.05 else None
        actions.append(
            {
                "key": f"action:{wave_id}:workshop-extra:{n}:{keys.owner_part(lcp_id, owner)}",
                "workshop_id": workshop_id,
                "lcp_id": lcp_id,
                "organisation_id": owner,
                "title": f"Follow-up task {n + 1}",
                "owner_role": "each_partner" if owner else "lcp_lead",
                "due_date": day + dt.timedelta(days=rng.randint(5, 150)),
            }
        )
    for action in actions:
        due = action["due_date"]
        done = rng.random() < (0.85 if due < today else 0.25)
        action["status"] = "done" if done else "open"
        # Earlier runs marked overdue what was due before yesterday; what fell due yesterday is marked today.
        action["overdue_since"] = (
            due + dt.timedelta(days=1) if not done and due < today - dt.timedelta(days=1) else None
        )
        action["done_at"] = _local_noon(min(due, today - dt.timedelta(days=1))) if done else None
        action["done_by"] = "bench" if done else None
        t.add("action", **action)


TABLE_ORDER = (
    "lcp",
    "wave",
    "organisation",
    "contact",
    "hub",
    "hub_stage_change",
    "workshop",
    "invitation",
    "action",
    "escalation",
    "escalation_notice",
    "outbound_message",
)


def bulk_insert(engine: Engine, tables: Tables, batch: int = 5000) -> None:
    """Core executemany, in foreign-key order; PostgreSQL's id sequences are moved past the ids given."""
    metadata = models.Base.metadata.tables
    with engine.begin() as connection:
        for name in TABLE_ORDER:
            rows = tables.rows.get(name, [])
            columns = {column for row in rows for column in row}
            rows = [{column: row.get(column) for column in columns} for row in rows]  # executemany: same keys
            for i in range(0, len(rows), batch):
                connection.execute(insert(metadata[name]), rows[i : i + batch])
            if rows and engine.dialect.name == "postgresql" and isinstance(rows[0].get("id"), int):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )


def escalations(snapshot: Snapshot, programme: Programme, as_of: dt.datetime, seed: int = 7) -> Tables:
    """Escalations for most stalls the reconciler sees today (as if it had run every day until yesterday), with the
    notices of the levels reached by yesterday; and closed ones of stalls resolved long ago."""
    rng = random.Random(seed + 1)
    today = as_of.astimezone(UK).date()
    yesterday = today - dt.timedelta(days=1)
    levels = programme.escalation.levels
    t = Tables()
    seen: set[tuple[int, str, dt.date]] = set()
    stalled = current_stalls(snapshot, programme, today)
    for hub_id, reasons in sorted(stalled.items()):
        for reason, since in sorted(reasons.items()):
            if since > yesterday or rng.random() < 0.1:
                continue  # opened today
            r = rng.random()
            status = "open" if r < 0.7 else "acknowledged" if r < 0.85 else "snoozed"
            reached = [
                n for n, level in enumerate(levels, 1) if since + dt.timedelta(days=level.after_days) <= yesterday
            ]
            escalation_id = t.add(
                "escalation",
                hub_id=hub_id,
                reason=reason,
                stalled_since=since,
                level=max(reached, default=0),
                status=status,
                snoozed_until=today + dt.timedelta(days=rng.randint(-3, 10)) if status == "snoozed" else None,
                acknowledged_by="bench" if status == "acknowledged" else None,
            )
            seen.add((hub_id, reason, since))
            for n in reached:
                t.add(
                    "escalation_notice",
                    escalation_id=escalation_id,
                    level=n,
                    sent_to=levels[n - 1].to,
                    message_key=keys.escalation_level(escalation_id, n),
                )
    for hub_id in sorted(snapshot.hubs)[1::25]:  # progress since yesterday: closed today
        if "no_progress" not in stalled.get(hub_id, {}):
            since = today - dt.timedelta(days=rng.randint(2, 20))
            seen.add((hub_id, "no_progress", since))
            t.add("escalation", hub_id=hub_id, reason="no_progress", stalled_since=since, level=1, status="open")
    for hub_id in sorted(snapshot.hubs)[::3]:  # history: stalls resolved long ago
        since = today - dt.timedelta(days=rng.randint(200, 400))
        if (hub_id, "no_progress", since) in seen:
            continue
        escalation_id = t.add(
            "escalation",
            hub_id=hub_id,
            reason="no_progress",
            stalled_since=since,
            level=1,
            status="closed",
            closed_at=_local_noon(since + dt.timedelta(days=30)),
            closed_reason="progress",
        )
        t.add(
            "escalation_notice",
            escalation_id=escalation_id,
            level=1,
            sent_to="hub_contact",
            message_key=keys.escalation_level(escalation_id, 1),
        )
    return t


def outbox(snapshot: Snapshot, programme: Programme, as_of: dt.datetime, history: int, seed: int = 7) -> Tables:
    """Part of today's reminders, follow-ups and action reminders already queued on earlier days (sent, or pending),
    some pending messages no longer wanted (dropped today), and `history` sent mails. Escalation messages are queued
    with their notices, overdue notices with their marks, so none of those are queued ahead."""
    rng = random.Random(seed + 2)
    yesterday = as_of.astimezone(UK).date() - dt.timedelta(days=1)
    t = Tables()
    due = decide_messages(snapshot, programme, as_of).messages
    for message in due:
        if rng.random() < 0.6:
            status = "pending" if rng.random() < 0.3 else "sent"
            _outbox_row(t, message.key, message.purpose, message.to.email, status, as_of, message.workshop_id)
    for n in range(max(1, len(due) // 20)):
        email = f"gone-{n}@example.org"
        key = keys.no_response_reminder("wave-1", 1, yesterday, email)
        _outbox_row(t, key, "reminder", email, "pending", as_of, None)
    for n in range(history):
        purpose = rng.choice(("reminder", "follow_up", "action_reminder", "invitation", "digest"))
        _outbox_row(t, f"history:{purpose}:{n}", purpose, f"h{n}@example.org", "sent", as_of, None)
    return t


def _outbox_row(
    t: Tables, key: str, purpose: str, email: str, status: str, as_of: dt.datetime, workshop_id: int | None
) -> None:
    created = as_of - dt.timedelta(days=1)
    t.add(
        "outbound_message",
        idempotency_key=key,
        kind="mail",
        purpose=purpose,
        recipients=[email],
        payload={"to": [{"name": "", "address": email}], "subject": key[:80], "text": "…", "html": "…"},
        status=status,
        attempts=1 if status == "sent" else 0,
        workshop_id=workshop_id,
        created_at=created,
        sent_at=created if status == "sent" else None,
    )


@dataclass(frozen=True)
class Populated:
    seconds: float
    rows: dict[str, int]  # per table


def populate(engine: Engine, programme: Programme, scale: Scale, as_of: dt.datetime, seed: int = 7) -> Populated:
    """Fill a freshly migrated, empty database."""
    started = time.perf_counter()
    sessions = session_factory(engine)
    counts: dict[str, int] = {}

    def load(tables: Tables) -> Snapshot:
        bulk_insert(engine, tables)
        counts.update((name, len(rows)) for name, rows in tables.rows.items())
        with sessions() as session:
            return load_snapshot(session, as_of)

    snapshot = load(generate(programme, scale, as_of, seed))
    snapshot = load(escalations(snapshot, programme, as_of, seed))
    load(outbox(snapshot, programme, as_of, history=scale.actions, seed=seed))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return Populated(time.perf_counter() - started, counts)


# --------------------------------------------------------------------------------------------------------------------
# Measurements


@dataclass(frozen=True)
class PassResult:
    snapshot_rows: int
    notices_read: int  # escalation_notice rows, folded into the escalations' `notified`
    new_actions: int
    overdue_marks: int
    escalations_opened: int
    escalations_closed: int
    messages: int  # reminders, follow-ups, action reminders, overdue notices and escalation messages
    notices: int
    superseded: int


def decision_pass(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> PassResult:
    """What the reconciler decides at `as_of`: one snapshot, both pure deciders; nothing is written."""
    with sessions() as session:
        snapshot = load_snapshot(session, as_of)
    changes = decide_changes(snapshot, programme, as_of)
    outgoing = decide_messages(snapshot, programme, as_of)
    rows = (
        len(snapshot.workshops)
        + len(snapshot.invitations)
        + len(snapshot.organisations)
        + len(snapshot.contacts)
        + len(snapshot.hubs)
        + len(snapshot.actions)
        + len(snapshot.escalations)
        + len(snapshot.pending)
    )
    return PassResult(
        snapshot_rows=rows,
        notices_read=sum(len(e.notified) for e in snapshot.escalations),
        new_actions=len(changes.new_actions),
        overdue_marks=len(changes.overdue),
        escalations_opened=len(changes.stalls.opened),
        escalations_closed=len(changes.stalls.closed),
        messages=len(changes.messages) + len(outgoing.all_messages),
        notices=len(outgoing.notices),
        superseded=len(outgoing.superseded),
    )


def raw_scan(engine: Engine, as_of: dt.datetime) -> int:
    """The snapshot's SELECTs on a Core connection, every row fetched (with the columns' type conversion) and held
    until the end, as the snapshot holds its rows; the collector paused, as load_snapshot pauses it: like for like."""
    with engine.connect() as connection, collector_paused():
        fetched = [connection.execute(statement).fetchall() for statement in snapshot_queries(as_of).all()]
    return sum(len(rows) for rows in fetched)


@contextmanager
def recording(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """(statement, parameters) of every SQL statement sent to the driver while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def driver_scan(engine: Engine, statements: Sequence[tuple[str, Any]]) -> int:
    """The same SQL on the bare DB-API cursor: the driver's floor (SQLite returns dates as text here)."""
    fetched = []
    with engine.connect() as connection, collector_paused():
        cursor = connection.connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            fetched.append(cursor.fetchall())
        cursor.close()
    return sum(len(rows) for rows in fetched)


def statements_of_decision_pass(engine: Engine, programme: Programme, as_of: dt.datetime) -> int:
    sessions = session_factory(engine)
    with recording(engine) as seen:
        decision_pass(sessions, programme, as_of)
    return len(seen)


def peak_memory(engine: Engine, programme: Programme, as_of: dt.datetime) -> int:
    """tracemalloc's peak (bytes) over one decision pass."""
    sessions = session_factory(engine)
    gc.collect()
    tracemalloc.start()
    try:
        decision_pass(sessions, programme, as_of)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # this process's CPU seconds: steadier than wall time on a busy machine, but blind to a server's work


def _timed(run: Callable[[], object]) -> Timing:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def _median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


@dataclass
class Measurement:
    label: str
    scale: Scale
    populated: Populated
    statements: int
    result: PassResult
    raw_rows: int
    decision: Timing = Timing(0.0, 0.0)
    raw: Timing = Timing(0.0, 0.0)
    driver: Timing = Timing(0.0, 0.0)
    peak_bytes: int = 0

    @property
    def ratio(self) -> float:
        """Decision pass / raw scan, wall-clock medians: what the target is about."""
        return self.decision.wall / self.raw.wall if self.raw.wall else math.inf

    @property
    def cpu_ratio(self) -> float:
        return self.decision.cpu / self.raw.cpu if self.raw.cpu else math.inf


def measure(
    engine: Engine,
    programme: Programme,
    scale: Scale,
    populated: Populated,
    as_of: dt.datetime,
    repeat: int,
    label: str,
) -> Measurement:
    sessions = session_factory(engine)
    statements = statements_of_decision_pass(engine, programme, as_of)
    result = decision_pass(sessions, programme, as_of)  # also the warm-up
    with recording(engine) as sql:
        raw_rows = raw_scan(engine, as_of)
    driver_scan(engine, sql)
    m = Measurement(label, scale, populated, statements, result, raw_rows)
    if repeat > 0:
        decision, raw, driver = [], [], []
        for _ in range(repeat):  # interleaved, so a busy moment on the machine hits all three alike
            decision.append(_timed(lambda: decision_pass(sessions, programme, as_of)))
            raw.append(_timed(lambda: raw_scan(engine, as_of)))
            driver.append(_timed(lambda: driver_scan(engine, sql)))
        m.decision, m.raw, m.driver = _median(decision), _median(raw), _median(driver)
        m.peak_bytes = peak_memory(engine, programme, as_of)
    return m


# --------------------------------------------------------------------------------------------------------------------
# Databases


class Databases:
    """A fresh, migrated database per scale: SQLite files, or databases this benchmark creates on a PostgreSQL
    server (and drops unless `keep`)."""

    def __init__(self, url: str | None, keep: bool = False) -> None:
        self.keep = keep
        self.created: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.admin: Engine | None = None
        if url and not url.startswith("sqlite"):
            self.server = make_url(normalise_url(url))
            self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
            self.kind = self.server.get_backend_name()
        else:
            self.kind = "sqlite"
            if url:
                path = Path(make_url(url).database or "rollout-bench.db")
                self.directory, self.stem = path.parent, path.stem
            else:
                self._tmp = tempfile.TemporaryDirectory(prefix="rollout-bench-")
                self.directory, self.stem = Path(self._tmp.name), "rollout-bench"

    def fresh(self, label: str) -> Engine:
        if self.admin is not None:
            name = f"rollout_bench_{os.getpid()}_{label.replace('.', '_').replace('/', '_')}"
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.created.append(name)
            url = self.server.set(database=name).render_as_string(hide_password=False)
        else:
            path = self.directory / f"{self.stem}-{label.replace('/', '_')}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.created.append(str(path))
            url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        return engine

    def close(self) -> None:
        if self.admin is not None:
            if not self.keep:
                with self.admin.connect() as connection:
                    for name in self.created:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()
        elif not self.keep:
            for path in self.created:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        if self._tmp is not None and not self.keep:
            self._tmp.cleanup()


# --------------------------------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lcps", type=int, default=100, help="LCPs at full scale (default 100)")
    parser.add_argument("--partners", type=int, default=10_000, help="partner organisations at full scale")
    parser.add_argument("--hubs", type=int, default=1_000, help="hubs at full scale (default 1000)")
    parser.add_argument("--actions", type=int, default=60_000, help="actions at full scale (default 60000)")
    parser.add_argument("--scales", default="0.1,0.5,1", help="fractions of full scale to run (default 0.1,0.5,1)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per scale after a warm-up (min 5)")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF.isoformat(), help="the reconcile moment (ISO, with offset)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL, or sqlite:///DIR/NAME.db")
    parser.add_argument("--max-ratio", type=float, default=3.0, help="fail above this decision/raw ratio (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.repeat < 5:
        parser.error("--repeat must be at least 5 (the median of fewer runs is noise)")
    return args


def _mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def report(measurements: list[Measurement], kind: str, as_of: dt.datetime, max_ratio: float) -> str:
    lines = [
        f"Reconcile decision pass on {kind}, {os.cpu_count()} CPUs, as of {as_of.astimezone(UK):%Y-%m-%d %H:%M} (UK)",
        "",
        "| scale | LCPs | partners | hubs | actions | rows read | statements | decision pass | raw scan | ratio "
        "| ratio (client CPU) | driver scan | peak memory | generate+insert |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in measurements:
        lines.append(
            f"| {m.label} | {m.scale.lcps} | {m.scale.partners} | {m.scale.hubs} | {m.scale.actions} "
            f"| {m.raw_rows} | {m.statements} | {m.decision.wall * 1000:.0f} ms | {m.raw.wall * 1000:.0f} ms "
            f"| {m.ratio:.2f}× | {m.cpu_ratio:.2f}× | {m.driver.wall * 1000:.0f} ms | {_mib(m.peak_bytes)} "
            f"| {m.populated.seconds:.1f} s |"
        )
    full = measurements[-1]
    r = full.result
    lines += [
        "",
        f"Largest scale decides: {r.new_actions} new actions, {r.overdue_marks} overdue marks, "
        f"{r.escalations_opened} escalations opened, {r.escalations_closed} closed, {r.notices} escalation levels, "
        f"{r.messages} messages, {r.superseded} queued messages superseded.",
        "Rows in the database: " + ", ".join(f"{k} {v}" for k, v in sorted(full.populated.rows.items())) + ".",
        f"Process max RSS: {_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}.",
        f"Target: decision pass ≤ {max_ratio:g}× raw scan at the largest scale; the same statements at every scale.",
    ]
    return "\n".join(lines)


def check(measurements: list[Measurement], max_ratio: float) -> list[str]:
    problems = []
    counts = {m.label: m.statements for m in measurements}
    if len(set(counts.values())) != 1:
        problems.append(f"the decision pass's statements grow with the data: {counts}")
    full = measurements[-1]
    if full.ratio > max_ratio:
        problems.append(
            f"decision pass is {full.ratio:.2f}× the raw scan at scale {full.label} (target ≤ {max_ratio:g}×)"
        )
    for m in measurements:
        read = m.result.snapshot_rows + m.result.notices_read
        if m.raw_rows != read:
            problems.append(f"scale {m.label}: the raw scan read {m.raw_rows} rows, the snapshot {read}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    as_of = dt.datetime.fromisoformat(args.as_of)
    if as_of.tzinfo is None:
        print("--as-of needs a UTC offset", file=sys.stderr)
        return 2
    as_of = as_of.astimezone(dt.UTC)
    full = Scale(args.lcps, args.partners, args.hubs, args.actions)
    fractions = sorted(float(f) for f in args.scales.split(","))
    databases = Databases(args.database_url, keep=args.keep)
    measurements = []
    try:
        for fraction in fractions:
            scale = full.times(fraction)
            label = f"{fraction:g}"
            print(f"scale {label}: {scale} ...", file=sys.stderr, flush=True)
            programme = build_programme(scale.lcps)
            engine = databases.fresh(label)
            try:
                populated = populate(engine, programme, scale, as_of, args.seed)
                measurements.append(measure(engine, programme, scale, populated, as_of, args.repeat, label))
            finally:
                engine.dispose()
    finally:
        databases.close()
    if args.keep:
        print("kept: " + ", ".join(databases.created), file=sys.stderr)
    print(report(measurements, databases.kind, as_of, args.max_ratio))
    problems = check(measurements, args.max_ratio)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
