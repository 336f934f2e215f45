"""The send pacer keeps any window of `window_s` seconds to at most `per_window` completed sends."""

from __future__ import annotations

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


def test_a_steady_drain_runs_close_to_the_pace() -> None:
    pacer = SendPacer(per_window=5, window_s=0.5)
    started = time.monotonic()
    _starts_and_ends(pacer, count=15, threads=2, work_s=0.0)
    elapsed = time.monotonic() - started
    # 15 sends at 5 per 0.5 s: two full windows of waiting, and not much more.
    assert 1.0 <= elapsed < 1.4


def test_the_first_sends_go_without_waiting() -> None:
    pacer = SendPacer(per_window=4, window_s=10)
    started = time.monotonic()
    for _ in range(4):
        with pacer.slot():
            pass
    assert time.monotonic() - started < 0.1


def test_limits_are_shared_per_app_and_per_mailbox() -> None:
    assert in_flight_semaphore("app-x", 4) is in_flight_semaphore("app-x", 4)
    assert in_flight_semaphore("app-x", 4) is not in_flight_semaphore("app-y", 4)
    assert send_pacer("Hubs@Council.example", 30) is send_pacer("hubs@council.example", 30)
    assert send_pacer("hubs@council.example", 30) is not send_pacer("other@council.example", 30)
