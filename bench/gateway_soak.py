"""Soak the Microsoft 365 gateway against the local Graph emulator and report what the server saw.

Starts an emulator in-process (HTTPS on loopback) whose Exchange-like send limit equals --pace, drains
--messages messages through one O365Gateway from --workers threads, and prints:
  - achieved throughput against the pace limit, and the most sends the server saw in any 60-second window;
  - throttled responses (429s) the server gave: must be 0 — the pacer exists so a steady drain never hits it;
  - token acquisitions (with --token-lifetime S the app token expires every S seconds);
  - duplicates and lost messages, counted from the recipients' mailboxes (each message has its own recipient).
Optional fault rates show the exactly-once protocol under dropped connections and lost responses.

Usage:
    PYTHONPATH=. python bench/gateway_soak.py --messages 90 --pace 30 --token-lifetime 20
    PYTHONPATH=. python bench/gateway_soak.py --messages 40 --pace 30 --lost-response-rate 0.05 \
        --drop-rate 0.05 --rate-503 0.02

Exit status 1 if anything was throttled, duplicated or lost.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _support import ServerView, gateway_settings, recipient, start_emulator

from graph_emulator.requestlog import most_in_window
from rollout.m365.gateway import O365Gateway
from rollout.m365.retry import RetryPolicy
from rollout.outbound.gateway import MailSpec, Recipient


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=60, help="messages to send (default 60)")
    parser.add_argument("--pace", type=int, default=30, help="messages per minute per mailbox (default 30)")
    parser.add_argument("--token-lifetime", type=float, default=60.0, help="token lifetime in seconds")
    parser.add_argument("--workers", type=int, default=4, help="threads draining the queue (default 4)")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of requests dropped unanswered")
    parser.add_argument(
        "--lost-response-rate", type=float, default=0.0, help="share of requests done but their answer lost"
    )
    parser.add_argument("--rate-503", type=float, default=0.0, help="share of requests answered 503")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with start_emulator(args.pace, token_lifetime_s=args.token_lifetime) as emulator:
        emulator.faults.rate_drop = args.drop_rate
        emulator.faults.rate_lost_response = args.lost_response_rate
        emulator.faults.rate_503 = args.rate_503
        settings = gateway_settings(emulator, args.pace)
        gateway = O365Gateway(settings, retry_policy=RetryPolicy(max_attempts=12, max_elapsed_s=600))
        errors: list[str] = []
        lock = threading.Lock()

        def send(n: int) -> None:
            to = Recipient(f"Resident {n}", recipient(n))
            mail = MailSpec((to,), f"Workshop reminder {n}", f"Reminder {n}", f"<p>Reminder <b>{n}</b></p>")
            try:
                gateway.send_mail(mail, f"soak/{n}")
            except Exception as exc:  # reported, not raised: the soak counts what got through
                with lock:
                    errors.append(f"message {n}: {exc}")

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(send, range(args.messages)))
        elapsed = time.monotonic() - started

        seen = ServerView.of(emulator, args.messages)
        graph, sends, throttled, faults = seen.graph, seen.sends, seen.throttled, seen.faults
        duplicates, lost = seen.duplicates, seen.lost
        stats = gateway.stats()
        gateway.close()

    rate = args.messages / elapsed * 60 if elapsed else float("inf")
    burst = max(1, args.pace // 6)  # the pacer's default burst
    steady = (len(sends) - burst) / (sends[-1] - sends[burst - 1]) * 60 if len(sends) > burst + 1 else rate
    print(f"messages           {args.messages} in {elapsed:.1f} s from {args.workers} workers")
    print(
        f"throughput         {rate:.1f}/min overall, {steady:.1f}/min after the first burst of {burst}; "
        f"pace limit {args.pace}/min"
    )
    print(f"max in any 60 s    {most_in_window(sends)} sends seen by the server (limit {args.pace})")
    print(f"throttled (429)    {throttled}")
    tokens = stats["token_acquisitions"]
    print(f"token lifetime     {args.token_lifetime:g} s -> {tokens:.0f} token acquisitions")
    print(f"graph requests     {len(graph)} ({stats['retryable']:.0f} retried; faults {dict(faults)})")
    print(f"duplicates         {duplicates}")
    print(f"lost               {lost}")
    for line in errors[:10]:
        print(f"error              {line}")
    return 1 if throttled or duplicates or lost or errors else 0


if __name__ == "__main__":
    sys.exit(main())
