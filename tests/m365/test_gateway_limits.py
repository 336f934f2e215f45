"""Process-wide limits seen from the server: at most 4 requests in flight per app, sends paced per mailbox."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from gateway_support import ORGANISER, graph_requests, letter, people, workshop

from graph_emulator import GraphEmulator
from rollout.m365.gateway import O365Gateway


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def test_parallel_callers_never_have_more_than_four_requests_in_flight(emu: GraphEmulator, make_gateway) -> None:
    emu.faults.latency_ms = 40  # long enough for requests to pile up if nothing held them back
    gateways = [make_gateway(), make_gateway()]  # two instances share the app's limit

    def job(n: int) -> None:
        gateway = gateways[n % 2]
        event_id = gateway.create_event(workshop(attendees=people(1)), f"parallel/{n}")
        gateway.get_event(event_id)

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(job, range(24)))
    emu.faults.clear()
    records = graph_requests(emu)
    assert len(emu.events(ORGANISER)) == 24
    assert [r for r in records if r.status == 429] == []
    assert _max_overlap([(r.started, r.finished) for r in records]) == 4


def test_sends_are_paced_per_mailbox_as_the_server_sees_them(emu: GraphEmulator, make_gateway) -> None:
    # 3 sends per 0.5 s window (a scaled-down 30 per minute), from three threads and two gateway instances.
    gateways = [make_gateway(send_pace_per_minute=3, pace_window_s=0.5) for _ in range(2)]
    lock = threading.Lock()
    keys = iter(range(8))

    def sender(gateway: O365Gateway) -> None:
        while True:
            with lock:
                n = next(keys, None)
            if n is None:
                return
            gateway.send_mail(letter(people(1)[0]), f"paced/{n}")

    threads = [threading.Thread(target=sender, args=(gateways[i % 2],)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sends = sorted((r for r in graph_requests(emu) if r.is_send), key=lambda r: r.started)
    assert len(sends) == 8
    for k in range(len(sends) - 3):
        assert sends[k + 3].started - sends[k].finished >= 0.5
    assert len(emu.mailbox("person1@hub.example")) == 8
