"""The simulation's day loop: the programme's jobs at their scheduled moments, partners in between.

Each simulated day, in the order the deployments' schedules give:
  reconcile at runs.reconcile_time    only if it would change something (due.py), unless every_day
  weekly digest on runs.digest_weekday at runs.digest_time
  launch at 09:00 on a wave's launch day (approval off)
  partners' happenings of the day, 09:30-17:30 (behaviour.py)

Reading the database to decide a quiet day costs nothing extra: the observation and the partners' view are read
again only after something changed (a flow run or a happening), and each day is decided in memory.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import heapq
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import select, update

from rollout.config import Programme, load_programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.partners.csv_rows import read_partner_csv
from rollout.partners.importer import import_partners
from rollout_lab.simulation import previews, schedule
from rollout_lab.simulation.behaviour import Happening, Partners, apply, load_view
from rollout_lab.simulation.due import Observation, observe, reasons_to_run, with_outlook
from rollout_lab.simulation.engine import Engine, FlowEngine
from rollout_lab.simulation.ledger import DeliveryCheck, check_delivery
from rollout_lab.simulation.report import Month, RunRecord, Totals, emails_between, month_start, next_month, totals
from rollout_lab.simulation.world import CheckinPage, World, long_run_collector, simulated_world

ROOT = Path(__file__).resolve().parents[3]  # the repository: lab/rollout_lab/simulation/runner.py


@dataclass
class Options:
    config_path: Path
    directory: Path
    first: dt.date | None = None
    last: dt.date | None = None
    seed: int = 1
    partners_csv: Path | None = None  # default: sample_partners.csv next to the config, else the repository's
    database_url: str | None = None  # default: a SQLite file in `directory`
    every_day: bool = False  # run the reconcile every day, not only on days with something due
    checkin: CheckinPage | None = None  # where the emails' check-in links point (default: the simulation's own)


@dataclass
class Result:
    programme: Programme
    window: schedule.Window
    seed: int
    runs: list[RunRecord]
    months: list[Month]
    totals: Totals
    check: DeliveryCheck
    seconds: float
    directory: Path
    prefect: str
    prefect_ui: str | None
    digest_index: Path | None
    partners_csv: Path

    @property
    def ok(self) -> bool:
        return self.check.ok


Say = Callable[[str], None]


def sample_partners(config_path: Path) -> Path:
    beside = config_path.parent / "sample_partners.csv"
    return beside if beside.exists() else ROOT / "config" / "sample_partners.csv"


def import_sample(world: World, path: Path, partners: Partners) -> int:
    """Import the partner CSV; imported hubs reached their stage (seeded) up to 60 days before the start."""
    programme = world.programme
    with unit_of_work(world.sessions) as session:
        import_partners(session, programme, read_partner_csv(path, programme), source=path.name)
        for hub in session.scalars(select(models.Hub)):
            since = partners.initial_stage_since(hub.organisation.name, hub.stage)
            hub.stage_since = since
            session.execute(
                update(models.HubStageChange).where(models.HubStageChange.hub_id == hub.id).values(changed_at=since)
            )
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@dataclass
class Simulation:
    world: World
    engine: Engine
    partners: Partners
    every_day: bool = False
    on_digest: Callable[[dt.datetime], None] | None = None
    runs: list[RunRecord] = field(default_factory=list)
    happened: Counter[str] = field(default_factory=Counter)
    _observation: Observation | None = None
    _stale_outlook: bool = False  # replies arrived in Outlook since the observation (the database is unchanged)
    _stale_view: bool = True
    _queue: list[Happening] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _month_happened: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=lambda: {"deciding": 0.0, "partners": 0.0})  # seconds

    @property
    def programme(self) -> Programme:
        return self.world.programme

    def changed(self) -> None:
        self._observation = None
        self._stale_outlook = False
        self._stale_view = True

    def run(self, kind: str, as_of: dt.datetime, job: Callable[[dt.datetime], dict[str, object]]) -> RunRecord:
        self.world.clock.now = as_of
        started = time.perf_counter()
        summary = job(as_of)
        record = RunRecord(kind, as_of, time.perf_counter() - started, summary)
        self.runs.append(record)
        self.changed()
        return record

    def reconcile_due(self, as_of: dt.datetime, *, record_replies: bool) -> list[str]:
        started = time.perf_counter()
        if self._observation is None:
            with self.world.sessions() as session:
                self._observation = observe(session, as_of, self.world.emulator.events(self.world.organiser))
        elif self._stale_outlook:
            self._observation = with_outlook(self._observation, self.world.emulator.events(self.world.organiser))
        self._stale_outlook = False
        reasons = reasons_to_run(self._observation, self.programme, as_of, record_replies=record_replies)
        self.timings["deciding"] += time.perf_counter() - started
        return reasons

    def day(self, day: dt.date, launches: list[str], *, last: bool = False) -> None:
        programme = self.programme
        moment = schedule.reconcile_time(programme, day)
        digest = schedule.digest_time(programme, day)
        # Replies alone wait for the next run, but are recorded before a digest reports them and at the end.
        reasons = (
            ["every day"] if self.every_day else self.reconcile_due(moment, record_replies=digest is not None or last)
        )
        if reasons:
            self.run("reconcile", moment, self.engine.reconcile).reasons.extend(reasons)
        if digest is not None:
            self.run("digest", digest, self.engine.digest)
            if self.on_digest is not None:
                self.on_digest(digest)
        for wave_id in launches:
            self.run("launch", schedule.launch_time(programme, day), partial(self.engine.launch, wave_id))
        self.behave(day)

    def behave(self, day: dt.date) -> None:
        """Everything partners do on `day`, in time order. Nothing a partner does leads to more on the same day
        (a hub's next move is weeks away), so the day's happenings are decided together and done together."""
        started = time.perf_counter()
        self._refresh_queue()
        end = schedule.local(self.programme, day + dt.timedelta(days=1), dt.time(0, 0))
        today: list[Happening] = []
        while self._queue and self._queue[0].at < end:
            today.append(heapq.heappop(self._queue))
        if today:
            database_changed = False
            with unit_of_work(self.world.sessions) as session:
                for happening in today:
                    self.world.clock.now = happening.at
                    if apply(happening, session, self.world.emulator, self.world.organiser, self.partners.seed):
                        self.happened[happening.kind] += 1
                        self._month_happened[happening.kind] += 1
                        database_changed |= happening.kind != "reply"  # a reply goes to Outlook only
            if database_changed:
                self.changed()
            else:
                self._stale_outlook = True
        self.timings["partners"] += time.perf_counter() - started

    def _refresh_queue(self) -> None:
        if not self._stale_view:
            return
        with self.world.sessions() as session:
            view = load_view(session, self.programme)
        now = self.world.clock.now
        for happening in self.partners.happenings(view):
            if happening.key in self._seen:
                continue
            self._seen.add(happening.key)
            if happening.at <= now:  # decided for a moment already past (a window starting mid-programme)
                happening = dataclasses.replace(happening, at=now + dt.timedelta(minutes=1))
            heapq.heappush(self._queue, happening)
        self._stale_view = False

    def month(self, first: dt.date, last: dt.date) -> Month:
        """The month's row, for the days [first, last] simulated so far."""
        start = max(month_start(self.programme, first), schedule.local(self.programme, first, dt.time(0, 0)))
        end = schedule.local(self.programme, last + dt.timedelta(days=1), dt.time(0, 0))
        row = Month(f"{first:%Y-%m}")
        row.runs.update(r.kind for r in self.runs if start <= r.as_of < end)
        with self.world.sessions() as session:
            row.emails = emails_between(session, start, end)
        row.happenings, self._month_happened = self._month_happened, Counter()
        return row


def simulate(
    options: Options,
    *,
    say: Say = print,
    engine: Callable[[World], Engine] | None = None,
    on_ready: Callable[[World], None] | None = None,
    on_finish: Callable[[World], None] | None = None,
) -> Result:
    """Run the programme from options.first to options.last in simulated time; print as it goes with `say`.
    `on_ready(world)` is called once the partners are imported, `on_finish(world)` after the last day (while the
    emulator still holds every mailbox)."""
    started = time.perf_counter()
    programme = load_programme(options.config_path)
    default = schedule.default_window(programme)
    window = schedule.Window(options.first or default.first, options.last or default.last)
    start = schedule.local(programme, window.first, dt.time(0, 0))
    partners_csv = options.partners_csv or sample_partners(options.config_path)
    partners = Partners(programme, options.seed, start)
    launches = schedule.launches(programme, window)
    with (
        ExitStack() as stack,
        simulated_world(
            programme,
            options.config_path,
            options.directory,
            database_url=options.database_url,
            seed=options.seed,
            start=start,
            checkin=options.checkin,
        ) as world,
    ):
        contacts = import_sample(world, partners_csv, partners)
        stack.enter_context(long_run_collector())
        if on_ready is not None:
            on_ready(world)
        say(
            f"Simulating {programme.programme.name}\n"
            f"  {window.first:%a %d %b %Y} to {window.last:%a %d %b %Y} ({window.days} days), seed {options.seed}\n"
            f"  partners: {contacts} synthetic contacts from {partners_csv}\n"
            f"  database: {world.database_url} (recreated for each simulation)\n"
            f"  Outlook: Graph emulator at {world.emulator.base_url}; mail written to {world.mailbox_dir}\n"
            f"  Prefect: {world.prefect}\n"
            "  approval: off in the simulation (a launch sends its invitations straight away)\n"
            f"  reconcile: {'every day' if options.every_day else 'on the days something is due (quiet days skipped)'}"
        )

        def write_previews(as_of: dt.datetime) -> None:
            with world.sessions() as session:
                previews.write_week(session, programme, as_of, world.digest_dir)

        simulation = Simulation(
            world,
            engine(world) if engine else FlowEngine(world.services),
            partners,
            every_day=options.every_day,
            on_digest=write_previews,
        )
        months: list[Month] = []
        say("")
        say(Month.header())
        month_first = window.first
        for day in window.each_day():
            simulation.day(day, launches.get(day, []), last=day == window.last)
            for wave_id in launches.get(day, []):
                launched = simulation.runs[-1].summary
                say(
                    f"  {day:%Y-%m-%d} {wave_id} launched: {launched.get('changes', 0)} workshop events, "
                    f"{launched.get('invitations', 0)} invitations"
                )
            if day == window.last or next_month(day) == day + dt.timedelta(days=1):
                months.append(simulation.month(month_first, day))
                say(months[-1].line())
                month_first = day + dt.timedelta(days=1)
        world.emulator.flush_mailbox_index()
        digest_index = (
            previews.write_index(world.digest_dir, f"{programme.programme.name}: weekly digests")
            if world.digest_dir.exists()
            else None
        )
        with world.sessions() as session:
            check = check_delivery(session, world.emulator.mailboxes(), world.organiser)
            summary = totals(session, programme, simulation.runs, window.days, simulation.happened, check)
        if on_finish is not None:
            on_finish(world)
        summary.seconds = time.perf_counter() - started
        return Result(
            programme=programme,
            window=window,
            seed=options.seed,
            runs=simulation.runs,
            months=months,
            totals=summary,
            check=check,
            seconds=summary.seconds,
            directory=options.directory,
            prefect=world.prefect,
            prefect_ui=world.prefect_ui,
            digest_index=digest_index,
            partners_csv=partners_csv,
        )
