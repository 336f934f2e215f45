"""Delivery throughput against Exchange's send limit with one and with two worker processes sharing it.

    .venv/bin/python bench/two_workers.py --messages 60 --pace 60

A Prefect server in its own process holds the shared limits (as `rollout deploy` creates them); each "worker" is a
separate process with its own Prefect home that sends its share of the messages through `O365Gateway` with
ROLLOUT_SHARED_LIMITS=prefect, all at once, against one Graph emulator enforcing `--pace` sends a minute.
Throughput = accepted sends per minute between the first and the last send, as the emulator saw them.
Targets (exit 1 if missed): with two workers, throughput / limit between 0.95 and 1.0, never more than the
pace in any 60 s, no 429, every message delivered once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _support import CLIENT_ID, ORGANISER, SECRET, TENANT, ServerView, recipient, start_emulator

from graph_emulator.requestlog import accepted_sends, most_in_flight, most_in_window
from tests.distributed.cluster import Cluster, running_cluster

DOMAIN = "workers.example"


def send_share(first: int, count: int) -> None:
    """One worker process: its share of the messages, through the gateway as a deployed run would send them."""
    from rollout.m365.gateway import O365Gateway
    from rollout.outbound.gateway import MailSpec, Recipient

    gateway = O365Gateway.from_env()
    for n in range(first, first + count):
        mail = MailSpec(
            to=(Recipient(f"Resident {n}", recipient(n, DOMAIN)),),
            subject="Your workshop place",
            text="See you on Tuesday.",
            html="<p>See you on Tuesday.</p>",
        )
        gateway.send_mail(mail, f"bench-two-workers-{n}", first_attempt=True)


def measure(workers: int, messages: int, pace: int, directory: Path) -> dict[str, float]:
    emulator = start_emulator(pace)
    settings = {
        "ROLLOUT_TENANT_ID": TENANT,
        "ROLLOUT_CLIENT_ID": CLIENT_ID,
        "ROLLOUT_CLIENT_SECRET": SECRET,
        "ROLLOUT_ORGANISER": ORGANISER,
        "ROLLOUT_GRAPH_URL": emulator.graph_url,
        "ROLLOUT_LOGIN_URL": emulator.login_url,
        "ROLLOUT_CA_BUNDLE": str(emulator.ca_bundle),
        "ROLLOUT_SEND_PACE": str(pace),
        "ROLLOUT_SHARED_LIMITS": "prefect",
    }
    cluster = Cluster(directory / f"workers-{workers}", settings, workers=workers)
    try:
        with running_cluster(cluster):
            from prefect.settings import PREFECT_API_URL, temporary_settings

            from deployments.limits import ensure_limits, gateway_limit_specs

            with temporary_settings({PREFECT_API_URL: cluster.api_url}):
                ensure_limits(gateway_limit_specs(settings, ORGANISER))
            share = messages // workers
            senders = [
                subprocess.Popen(
                    [sys.executable, __file__, "--send", str(w * share), str(share)],
                    env=cluster.env(f"sender-{w}"),
                    cwd=cluster.directory,
                )
                for w in range(workers)
            ]
            for sender in senders:
                if sender.wait(timeout=messages * 120 / pace + 300) != 0:
                    raise RuntimeError(f"a sender failed; see {cluster.directory}")
        records = [r for r in emulator.requests if r.path.startswith("/v1.0/")]
        sends = accepted_sends(records)
        seen = ServerView.of(emulator, share * workers, DOMAIN)
        span = sends[-1] - sends[0]
        return {
            "throughput": (len(sends) - 1) / span * 60 if span > 0 else 0.0,
            "most_in_60s": most_in_window(sends),
            "most_in_flight": most_in_flight(records),
            "throttled": seen.throttled,
            "lost": seen.lost,
            "duplicates": seen.duplicates,
        }
    finally:
        emulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=60, help="messages in each run (split between workers)")
    parser.add_argument("--pace", type=int, default=60, help="the mailbox's sends per minute (Exchange: 30)")
    parser.add_argument("--send", nargs=2, type=int, metavar=("FIRST", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        send_share(*args.send)
        return 0
    with tempfile.TemporaryDirectory(prefix="two-workers-") as tmp:
        started = time.monotonic()
        results = {n: measure(n, args.messages, args.pace, Path(tmp)) for n in (1, 2)}
    print(f"{args.messages} messages, limit {args.pace}/min, {time.monotonic() - started:.0f} s in all")
    print(f"{'':24}{'1 worker':>12}{'2 workers':>12}")
    for key, label in [
        ("throughput", "sends per minute"),
        ("most_in_60s", "most in any 60 s"),
        ("most_in_flight", "most in flight"),
        ("throttled", "429 responses"),
        ("lost", "lost"),
        ("duplicates", "duplicated"),
    ]:
        print(f"{label:24}" + "".join(f"{results[n][key]:>12.1f}" for n in (1, 2)))
    ratios = {n: results[n]["throughput"] / args.pace for n in (1, 2)}
    print(f"{'throughput / limit':24}" + "".join(f"{ratios[n]:>12.3f}" for n in (1, 2)))
    two = results[2]
    ok = (
        0.95 <= ratios[2] <= 1.0
        and two["most_in_60s"] <= args.pace
        and two["most_in_flight"] <= 4
        and not (two["throttled"] or two["lost"] or two["duplicates"])
    )
    print("target met" if ok else "target missed: two workers at 0.95-1.0 of the limit, no 429, none lost")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    sys.exit(main())
