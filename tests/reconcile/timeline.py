"""Time travel for the reconciler's tests: run it day by day through a recording gateway (tests/fakes), and keep a
ledger of what each address received on which (simulated) day. The real gateway against the Graph emulator is
tested by tests/m365, tests/emulator, tests/faults and the end-to-end launch, digest and simulation tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme, load_programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.outbound.delivery import DeliveryReport
from rollout.outbound.gateway import Response
from rollout.programme.launch import prepare_launch, queue_launch
from rollout.reconcile import ReconcileReport, deliver, run_reconcile
from rollout.services import Services, build_services, provided
from rollout.settings import Settings
from tests.conftest import CONFIG
from tests.fakes.gateway import FakeGateway
from tests.reconcile.builders import UK, local

ORGANISER = "digital.health.hubs@example.org"

# Subjects name workshops by title; the ledger records them by number (config/waves.toml's Leeds titles).
_NUMBERS = {
    "Introduction to the approach": "1",
    "Understanding community need": "2",
    "Developing your hub: supporting digital inclusion": "3",
    "Motivating and signposting": "4",
    "Developing your hub: supporting health participation": "5",
    "Launching the network and next steps": "6",
}
_WHEN = r"\w{3} \d+ \w{3} \d\d:\d\d"
_LABELS = [
    (re.compile(rf"^Please reply: Digital Health Hubs workshop, (.+), {_WHEN}$"), "please reply"),
    (re.compile(rf"^See you on {_WHEN}: Digital Health Hubs workshop, (.+)$"), "see you there"),
    (re.compile(r"^Your actions after the Digital Health Hubs workshop: (.+)$"), "follow-up"),
    (re.compile(r"^Sorry we missed you: Digital Health Hubs workshop, (.+)$"), "missed"),
    (re.compile(r"^Sorry you couldn't make it: Digital Health Hubs workshop, (.+)$"), "missed (declined)"),
    (re.compile(r'^Reminder: "(.+)" is due '), "action reminder"),
    (re.compile(r'^Overdue: "(.+)" was due '), "overdue"),
    (re.compile(r"^Can we help\? (.+)'s Digital Health Hub$"), "escalation to hub"),
    (re.compile(r"^Can we help\? (.+)'s overdue actions$"), "escalation to hub: overdue actions"),
    # One email a day per lead, naming every hub in it ("2 hubs in Central need your support: A; B").
    (re.compile(r"^(?:A hub|\d+ hubs) in .+ needs? your support: (.+)$"), "escalation to lead"),
    (re.compile(r"^Escalation #\d+: (.+) \(.+\) is stalled \(overdue actions\)$"), "escalation to manager: overdue"),
    (re.compile(r"^Escalation #\d+: (.+) \(.+\) is stalled$"), "escalation to manager"),
]


def label(kind: str, subject: str) -> tuple[str, str]:
    """(what, about): ("please reply", "1"), ("overdue", action title), ("escalation to hub", hub name), ..."""
    subject = subject.strip()  # a folded Subject header can come back with the fold's leading space
    if kind != "mail":
        title = re.match(rf"^(?:Canceled: )?Digital Health Hubs workshop: (.+), {_WHEN}$", subject)
        return (kind, _NUMBERS.get(title.group(1), subject) if title else subject)
    for pattern, what in _LABELS:
        match = pattern.match(subject)
        if match:
            return (what, _NUMBERS.get(match.group(1), match.group(1)))
    raise AssertionError(f"an email the tests do not know: {subject!r}")


Entry = tuple[dt.date, str, str, str]  # day, address, what, about


# Graph's words for a reply (as the emulator and Outlook take them) and the gateway's.
RESPONSES: dict[str, Response] = {
    "accepted": "accepted",
    "tentativelyAccepted": "tentative",
    "tentative": "tentative",
    "declined": "declined",
    "none": "none",
}


@dataclass
class Timeline:
    sessions: sessionmaker[Session]
    programme: Programme
    gateway: FakeGateway
    ledger: Counter[Entry] = field(default_factory=Counter)
    reports: dict[dt.date, ReconcileReport] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(
        cls, sessions: sessionmaker[Session], programme: Programme, gateway: FakeGateway | None = None
    ) -> Timeline:
        return cls(sessions, programme, gateway or FakeGateway(ORGANISER))

    @property
    def services(self) -> Services:
        """A run's services: the test's database and recording gateway, and the timeline's current programme."""
        settings = Settings.from_env()
        return build_services(settings, programme=self.programme, sessions=self.sessions, gateway=self.gateway)

    @contextmanager
    def flows(self, config: Path | None = None) -> Iterator[Services]:
        """Flow runs started in the block use these services (with the programme of `config`, when given)."""
        services = self.services
        if config is not None:
            services = dataclasses.replace(services, programme=load_programme(config))
        with provided(services):
            yield services

    def record(self, day: dt.date) -> list[Entry]:
        """Whatever arrived in any mailbox since the last call, as received on `day`."""
        new = []
        for address, items in self.gateway.mailboxes().items():
            for item in items[self.seen.get(address, 0) :]:
                what, about = label(item.kind, item.subject)
                # A lead's daily escalation names several hubs: one ledger entry per hub, as before it was combined.
                abouts = about.split("; ") if what == "escalation to lead" else [about]
                new += [(day, address, what, one) for one in abouts]
            self.seen[address] = len(items)
        self.ledger.update(new)
        return new

    def run(self, day: dt.date, hour: int = 7) -> ReconcileReport:
        report = run_reconcile(self.services, local(day, hour))
        self.reports[day] = report
        self.record(day)
        return report

    def launch(self, day: dt.date, config: Path = CONFIG) -> dict[str, object]:
        from flows.launch_wave import launch_wave

        with self.flows(config):
            result = launch_wave(wave="wave-1", as_of=local(day), require_approval=False)
        self.record(day)
        return result

    def launch_core(self, day: dt.date) -> None:
        """The launch without Prefect (the same steps launch-wave runs), for tests that need no flow."""
        with unit_of_work(self.sessions) as session:
            queue_launch(session, prepare_launch(session, self.programme, "wave-1", local(day)))
        deliver(self.sessions, self.gateway, local(day))
        self.record(day)

    def run_without_sending(self, day: dt.date, hour: int = 7) -> ReconcileReport:
        """A run whose delivery never happened (the mail service was down, or the worker died after queuing)."""
        report = run_reconcile(self.services, local(day, hour), send=False)
        self.reports[day] = report
        return report

    def deliver_at(self, moment: dt.datetime) -> DeliveryReport:
        report = deliver(self.sessions, self.gateway, moment)
        self.record(moment.astimezone(UK).date())
        return report

    def outbox_statuses(self, purpose: str) -> Counter[str]:
        with self.sessions() as session:
            return Counter(
                session.scalars(select(models.OutboundMessage.status).where(models.OutboundMessage.purpose == purpose))
            )

    def mail_counts(self) -> dict[str, int]:
        return {address: len(items) for address, items in self.gateway.mailboxes().items()}

    def event_ids(self) -> dict[int, str]:
        with self.sessions() as session:
            return {
                w.number: w.event_id
                for w in session.scalars(select(models.Workshop).where(models.Workshop.wave_id == "wave-1"))
                if w.event_id
            }

    def attendees(self) -> dict[int, list[str]]:
        """Each workshop's attendees as Outlook has them (events cancelled there are gone)."""
        by_subject: dict[int, list[str]] = {}
        titles = {w.title: w.number for w in self.programme.workshops}
        for event in self.gateway.live_events():
            # "Digital Health Hubs workshop: {title}, {when}": the subject names the workshop by its title
            title = re.sub(r"^[^:]*workshop: (.*), \w{3} \d+ \w{3} \d\d:\d\d$", r"\1", event.spec.subject)
            by_subject[titles[title]] = event.attendees
        return by_subject

    def respond(self, number: int, email: str, response: str) -> None:
        self.gateway.respond(self.event_ids()[number], email, RESPONSES[response])

    def on(self, day: dt.date, what: str | None = None) -> Counter[tuple[str, str]]:
        """(address, "what: about") of everything that arrived on `day`; with `what`, (address, about) of that kind."""
        found: Counter[tuple[str, str]] = Counter()
        for (when, address, kind, about), n in self.ledger.items():
            if when == day and what is None:
                found[(address, f"{kind}: {about}")] += n
            elif when == day and kind == what:
                found[(address, about)] += n
        return found


def with_wave_1_line(tmp_path: Path, line: str) -> Path:
    """config/waves.toml with one more line in wave-1 (e.g. cancelled_workshops = [4])."""
    text = CONFIG.read_text(encoding="utf-8")
    anchor = 'lcps = ["central", "woodsley-holt-park", "morley"]\n'
    path = tmp_path / "waves.toml"
    path.write_text(text.replace(anchor, anchor + line + "\n"), encoding="utf-8")
    return path


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
