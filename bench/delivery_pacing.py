"""Delivery pacing: the outbox + Deliverer + gateway, side by side with a naive one-call-at-a-time O365 loop.

Both send the same N messages (each to its own recipient) through a Graph emulator started in-process that
enforces Exchange Online's limits: --pace sends per mailbox in any 60 s (sliding window; over it: 429 with
Retry-After) and 4 concurrent requests per app.

1. rollout: N mail intents are queued with rollout.outbound.outbox.enqueue in a fresh SQLite database, then one
   rollout.outbound.delivery.Deliverer drains the outbox through an O365Gateway configured with the same pace
   (ROLLOUT_SEND_PACE = the mailbox's limit, as in production).
2. naive: O365's own Message API, `account.mailbox(resource=organiser).new_message()` ... `.send()`, one message
   after the other as fast as they go, no pacing and no retry (a failed send is counted and left), over an
   O365 Account built by rollout.m365.connection.build_account so that it reaches the emulator.

Each gets a fresh emulator. Reported per contender, from the emulator's request log and the recipients'
mailboxes (not from the sender's own account):
  - throughput: messages delivered per minute over the whole run (from the start of the drain to its end);
  - throughput / limit, limit = the emulator's enforced pace (target for rollout: >= 0.95); not given for a run
    that lost messages (it never drained the queue, so its rate over a few seconds means nothing);
  - the most sends the server accepted in any 60 s (never above the limit: the server refuses the rest);
  - 429 responses (target for rollout: 0), sends the sender saw fail, messages lost (never delivered), duplicates.

Usage (about two minutes; the naive loop takes seconds):
    .venv/bin/python bench/delivery_pacing.py --messages 120 --pace 60
    .venv/bin/python bench/delivery_pacing.py --messages 90 --pace 30       # Exchange's real rate

Exit status 1 if rollout's delivery missed a target (throughput/limit < 0.95, any 429, anything lost or
duplicated); the naive loop's figures are reported, not judged.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _support import (
    ORGANISER,
    ServerView,
    gateway_settings,
    queue_mails,
    recipient,
    start_emulator,
)

from graph_emulator.requestlog import most_in_window
from rollout.db.migrate import upgrade
from rollout.db.session import make_engine, session_factory
from rollout.m365.gateway import O365Gateway
from rollout.outbound.delivery import Deliverer
from rollout.outbound.gateway import MailSpec, Recipient

TARGET_RATIO = 0.95


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=120, help="messages to send (default 120)")
    parser.add_argument(
        "--pace", type=int, default=60, help="sends per 60 s the emulator allows the mailbox (default 60)"
    )
    return parser.parse_args(argv)


def message(n: int) -> MailSpec:
    return MailSpec(
        to=(Recipient(f"Resident {n}", recipient(n)),),
        subject=f"Your Digital Health Hub session ({n})",
        text=f"Reminder {n}: your session is on Tuesday.",
        html=f"<p>Reminder <b>{n}</b>: your session is on Tuesday.</p>",
    )


@dataclass(frozen=True)
class Result:
    name: str
    messages: int
    pace: int
    elapsed_s: float
    sender_failures: int  # sends the sender itself saw fail (and, for rollout, did not deliver in the end)
    seen: ServerView

    @property
    def throughput(self) -> float:
        return self.seen.delivered / self.elapsed_s * 60 if self.elapsed_s else 0.0

    @property
    def ratio(self) -> float:
        return self.throughput / self.pace


@contextmanager
def fresh_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'rollout.db'}"


def run_rollout(messages: int, pace: int) -> Result:
    with start_emulator(pace) as emulator, fresh_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        queue_mails(sessions, messages, message)
        gateway = O365Gateway(gateway_settings(emulator, pace))
        started = time.monotonic()
        report = Deliverer(sessions, gateway).run()
        elapsed = time.monotonic() - started
        gateway.close()
        engine.dispose()
        return Result(
            "rollout: outbox + Deliverer + gateway",
            messages,
            pace,
            elapsed,
            report.failed + report.retry_later,
            ServerView.of(emulator, messages),
        )


def run_naive(messages: int, pace: int) -> Result:
    # The benchmark's only direct use of O365 (everything else in the project goes through rollout.m365): the
    # point of this half is to show what plain O365 does against the same limits.
    from rollout.m365.connection import build_account

    # O365 logs every failed request at ERROR with its full text; the failures are counted below instead.
    logging.getLogger("O365").setLevel(logging.CRITICAL)
    with start_emulator(pace) as emulator:
        # O365's Message API calls session.post() without verify=, so requests lets REQUESTS_CA_BUNDLE (set on
        # many machines) replace the session's CA bundle: point it at the emulator's CA, as a plain O365 user
        # would have to. (The gateway passes its CA bundle on every request instead.)
        previous = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(emulator.ca_bundle)
        try:
            account = build_account(gateway_settings(emulator, pace))
            mailbox = account.mailbox(resource=ORGANISER)
            failures = 0
            started = time.monotonic()
            for n in range(messages):
                spec = message(n)
                # msal 1.39 cannot refresh an expired client-credentials token through O365 (see
                # docs/microsoft365.md); the connection helper's ensure_token() is the workaround.
                account.con.ensure_token()
                draft = mailbox.new_message()
                draft.to.add([(r.name, r.email) for r in spec.to])
                draft.subject = spec.subject
                draft.body = spec.html
                try:
                    sent = draft.send()
                except Exception:  # a transport error: counted like a refused send, and not retried
                    sent = False
                failures += 0 if sent is True else 1
            elapsed = time.monotonic() - started
        finally:
            if previous is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = previous
        return Result(
            "naive: O365 Message.send() loop", messages, pace, elapsed, failures, ServerView.of(emulator, messages)
        )


def ratio_cell(result: Result) -> str:
    # A run that did not deliver everything did not drain the queue: its rate over a short run says nothing
    # about how fast the queue empties, so it is not set against the limit.
    if result.seen.lost:
        return f"n/a: {result.seen.lost} of {result.messages} never delivered"
    return f"{result.ratio:.2f}"


def table(results: list[Result]) -> str:
    rows: list[tuple[str, ...]] = [
        ("", *(r.name for r in results)),
        ("messages", *(str(r.messages) for r in results)),
        ("delivered", *(str(r.seen.delivered) for r in results)),
        ("run time", *(f"{r.elapsed_s:.1f} s" for r in results)),
        ("throughput (delivered/min)", *(f"{r.throughput:.1f}" for r in results)),
        ("throughput / limit", *(ratio_cell(r) for r in results)),
        (
            f"max sends in any 60 s (limit {results[0].pace})",
            *(str(most_in_window(r.seen.sends)) for r in results),
        ),
        ("429 responses", *(str(r.seen.throttled) for r in results)),
        ("failed sends (sender's view)", *(str(r.sender_failures) for r in results)),
        ("lost (never delivered)", *(str(r.seen.lost) for r in results)),
        ("duplicated", *(str(r.seen.duplicates) for r in results)),
        ("Graph requests", *(str(len(r.seen.graph)) for r in results)),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.messages < 1 or args.pace < 1:
        print("--messages and --pace must be at least 1", file=sys.stderr)
        return 2
    print(f"{args.messages} messages, emulator limit {args.pace} sends per 60 s and 4 concurrent requests")
    print("rollout: draining the outbox ...", flush=True)
    ours = run_rollout(args.messages, args.pace)
    print("naive: one O365 Message.send() after the other ...", flush=True)
    naive = run_naive(args.messages, args.pace)
    print()
    print(table([ours, naive]))
    print()
    if args.messages <= args.pace:
        print(
            f"note: {args.messages} messages fit in one 60 s window of {args.pace}: the limit never binds, so "
            "throughput / limit says nothing; use --messages well above --pace"
        )
    problems = []
    if ours.ratio < TARGET_RATIO:
        problems.append(f"throughput / limit {ours.ratio:.2f} < {TARGET_RATIO}")
    if ours.seen.throttled:
        problems.append(f"{ours.seen.throttled} throttled")
    if ours.seen.lost or ours.seen.duplicates:
        problems.append(f"{ours.seen.lost} lost, {ours.seen.duplicates} duplicated")
    print("rollout: " + ("; ".join(problems) if problems else "all targets met"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
