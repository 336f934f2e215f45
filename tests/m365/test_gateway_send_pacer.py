"""The send pacer keeps any window of `window_s` seconds to at most `per_window` completed sends."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from rollout.m365.limits import SendPacer, in_flight_semaphore, send_pacer


def _starts_and_ends(pacer: SendPacer, count: int, threads: int, work_s: float) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    remaining = iter(range(count))

    def worker() -> None:
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            with pacer.slot():
                started = time.monotonic()
                time.sleep(work_s)
                ended = time.monotonic()
            with lock:
                spans.append((started, ended))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sorted(spans)


@pytest.mark.parametrize("threads", [1, 4])
def test_no_window_ever_sees_more_than_the_limit(threads: int) -> None:
    pacer = SendPacer(per_window=3, window_s=0.4)
    spans = _starts_and_ends(pacer, count=9, threads=threads, work_s=0.02)
    # A server receives each request between its start and its end; the strictest reading is that request
    # k + limit starts no earlier than a full window after request k ended.
    for k in range(len(spans) - 3):
        assert spans[k + 3][0] - spans[k][1] >= 0.4


def test_a_steady_drain_runs_at_the_pace_spread_evenly() -> None:
    pacer = SendPacer(per_window=5, window_s=0.5)  # 10 per second, burst of 1
    spans = _starts_and_ends(pacer, count=15, threads=3, work_s=0.0)
    elapsed = spans[-1][0] - spans[0][0]
    assert 1.3 <= elapsed < 1.7  # 14 gaps of ~0.1 s: the pace, not much slower
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(spans)]
    assert min(gaps) >= 0.09  # evenly spread, never a burst


def test_a_small_burst_goes_at_once_then_sends_are_spaced() -> None:
    pacer = SendPacer(per_window=30, window_s=6.0)  # 5 per second; burst 30 // 6 = 5
    assert pacer.burst == 5
    started = time.monotonic()
    for _ in range(5):
        with pacer.slot():
            pass
    assert time.monotonic() - started < 0.05
    with pacer.slot():
        pass
    assert time.monotonic() - started >= 0.18


def test_limits_are_shared_per_app_and_per_mailbox() -> None:
    assert in_flight_semaphore("app-x", 4) is in_flight_semaphore("app-x", 4)
    assert in_flight_semaphore("app-x", 4) is not in_flight_semaphore("app-y", 4)
    assert send_pacer("Hubs@Council.example", 30) is send_pacer("hubs@council.example", 30)
    assert send_pacer("hubs@council.example", 30) is not send_pacer("other@council.example", 30)
