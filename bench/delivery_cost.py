"""Delivery cost: what delivering one outbox message costs the sender, in wall time and CPU, with pacing off.

N mail intents are queued with rollout.outbound.outbox.enqueue in a fresh SQLite database (synchronous=NORMAL, as
the simulation opens it), then one rollout.outbound.delivery.Deliverer drains the outbox through the real
O365Gateway against the Graph emulator, started in-process with no effective send limit (the simulation's
ROLLOUT_SEND_PACE = 1000000). Every message goes through the exactly-once protocol (MIME draft, /send).

Reported, per message:
  - wall: the drain's wall time / N;
  - sender CPU: CPU time of the thread that runs the Deliverer (time.thread_time(): the deliverer, the gateway,
    requests/urllib3 and SQLite; not the emulator's threads);
  - process CPU: the whole process (sender + the in-process emulator);
  - TLS connections the gateway's session opened (one reused keep-alive connection is expected);
and the emulator's view: delivered, duplicated, lost (exit status 1 unless N delivered, 0 duplicated, 0 lost).

Usage (seconds):
    .venv/bin/python bench/delivery_cost.py --messages 500 --rounds 3
To compare with another revision's code in the same conditions, put its `rollout` package first on the path:
    git archive <rev> rollout | tar -x -C /tmp/base && PYTHONPATH=/tmp/base .venv/bin/python bench/delivery_cost.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import ServerView, gateway_settings, queue_mails, recipient, start_emulator

import rollout
from rollout.db.migrate import upgrade
from rollout.db.session import make_engine, session_factory
from rollout.m365.gateway import O365Gateway
from rollout.outbound.delivery import Deliverer
from rollout.outbound.gateway import MailSpec, Recipient
from rollout_lab.simulation.world import fast_sqlite_commits

PACE = 10**6  # the simulation's: pacing off


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500, help="messages per round (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each with a fresh database (default 3)")
    return parser.parse_args(argv)


def message(n: int) -> MailSpec:
    # Realistic size and a non-ASCII name and subject now and then, as the programme's mails have.
    name = f"Résident Zoë {n}" if n % 5 == 0 else f"Resident {n}"
    subject = f"Your Digital Health Hub session – Tuesday ({n})" if n % 3 == 0 else f"Your session ({n})"
    paragraph = "Your session at the hub is on Tuesday at 10:00. Bring your phone or tablet if you have one. "
    return MailSpec(
        to=(Recipient(name, recipient(n)),),
        cc=(Recipient("Hub lead", f"lead{n}@council.example"),) if n % 7 == 0 else (),
        subject=subject,
        text=f"Dear {name},\n\n" + paragraph * 6 + "\n\nThe Digital Health team\n",
        html=f"<p>Dear {name},</p>" + f"<p>{paragraph}</p>" * 6 + "<p>The Digital Health team</p>",
    )


def tls_connections(gateway: O365Gateway) -> int:
    session = gateway._pipeline.connection.session
    if session is None:
        return 0
    pools = session.get_adapter("https://").poolmanager.pools
    # urllib3's RecentlyUsedContainer cannot be iterated, only its keys()
    return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118


def one_round(messages: int) -> dict[str, Any]:
    emulator = start_emulator(PACE)
    try:
        with tempfile.TemporaryDirectory(prefix="rollout-bench-") as directory:
            url = f"sqlite:///{Path(directory) / 'rollout.db'}"
            with fast_sqlite_commits(url):  # as the simulation opens its database
                engine = make_engine(url)
                upgrade(engine)
                sessions = session_factory(engine)
                queue_mails(sessions, messages, message)
                gateway = O365Gateway(gateway_settings(emulator, PACE))
                gateway.check_access()  # the token and the first connection, outside the measurement
                thread0, process0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
                report = Deliverer(sessions, gateway).run()
                wall = time.perf_counter() - wall0
                thread, process = time.thread_time() - thread0, time.process_time() - process0
                connections = tls_connections(gateway)
                gateway.close()
                engine.dispose()
        seen = ServerView.of(emulator, messages)
    finally:
        emulator.stop()
    return {
        "sent": report.sent,
        "wall_ms": wall / messages * 1000,
        "sender_cpu_ms": thread / messages * 1000,
        "process_cpu_ms": process / messages * 1000,
        "connections": connections,
        "requests": len(seen.graph),
        "delivered": seen.delivered,
        "duplicates": seen.duplicates,
        "lost": seen.lost,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"rollout from {Path(rollout.__file__).parent} (PYTHONPATH={os.environ.get('PYTHONPATH', '')})")
    results = []
    for n in range(args.rounds):
        result = one_round(args.messages)
        results.append(result)
        print(
            f"round {n + 1}: {result['wall_ms']:.2f} ms wall, {result['sender_cpu_ms']:.2f} ms sender CPU, "
            f"{result['process_cpu_ms']:.2f} ms process CPU per message; {result['requests']} requests, "
            f"{result['connections']} TLS connection(s); delivered {result['delivered']}, "
            f"duplicated {result['duplicates']}, lost {result['lost']}",
            flush=True,
        )
    for key in ("wall_ms", "sender_cpu_ms", "process_cpu_ms"):
        print(f"median {key}: {statistics.median(r[key] for r in results):.2f}")
    ok = all(r["delivered"] == args.messages and not r["duplicates"] and not r["lost"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
