"""Launching a wave end to end: config + sample partners + the Graph emulator + a real Prefect server.

The flow talks to the emulator through the real gateway (O365 + msal over HTTPS); assertions count what each
partner's mailbox actually received.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from flows.launch_wave import launch_wave
from rollout.config import load_programme
from tests.conftest import CONFIG, SAMPLE_PARTNERS

pytestmark = pytest.mark.usefixtures("prefect_server")

AS_OF = dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC)
WAVE_1_LCPS = {"central", "woodsley-holt-park", "morley"}
ORGANISER = "digital.health.hubs@example.org"


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE_PARTNERS.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["lcp"] in WAVE_1_LCPS]


def expected_attendees(number: int, rows: list[dict[str, str]]) -> set[str]:
    """The audiences of config/waves.toml, restated independently of rollout.planning.audience."""
    leads = {f"{lcp}.lead@example.org" for lcp in WAVE_1_LCPS}
    if number in (1, 2, 6):
        chosen = rows
    elif number == 3:
        chosen = [r for r in rows if r["sector"] == "third_sector" and r["hub_stage"]]
    elif number == 4:
        chosen = [r for r in rows if r["sector"] == "health"]
    else:
        chosen = [r for r in rows if r["hub_stage"]]
    return leads | {r["email"] for r in chosen}


def events_by_workshop(emulator) -> dict[int, dict]:  # type: ignore[no-untyped-def]
    events = emulator.events(ORGANISER)
    # Subjects name the workshop by title ("Digital Health Hubs workshop: {title}, Tue 11 Oct 10:00").
    numbers = {w.title: w.number for w in load_programme(CONFIG).workshops}
    return {numbers[e["subject"].split(": ", 1)[1].rsplit(", ", 1)[0]]: e for e in events}


def attendees(event: dict) -> set[str]:  # type: ignore[type-arg]
    return {a["emailAddress"]["address"].lower() for a in event["attendees"]}


def received(emulator, kind: str) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(email for email, items in emulator.mailboxes().items() for item in items if item.kind == kind)


def import_sample(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("partners", "import", str(SAMPLE_PARTNERS))
    assert result.exit_code == 0, result.stderr


def with_override(tmp_path: Path, line: str) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    anchor = 'lcps = ["central", "woodsley-holt-park", "morley"]\n'
    path = tmp_path / "waves.toml"
    path.write_text(text.replace(anchor, anchor + line + "\n"), encoding="utf-8")
    return path


def test_launch_creates_one_event_per_workshop_with_exactly_its_audience(
    data_dir: Path,
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(run_cli)
    result = launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)

    events = events_by_workshop(emulator)
    assert sorted(events) == [1, 2, 3, 4, 5, 6]
    rows = sample_rows()
    for number, event in events.items():
        assert attendees(event) == expected_attendees(number, rows), f"workshop {number}"
        assert event["hideAttendees"] is True
    invitations = received(emulator, "invitation")
    assert sum(invitations.values()) == sum(len(expected_attendees(n, rows)) for n in range(1, 7))
    assert result["queued"] == 6


def test_relaunching_changes_nothing_and_sends_nothing(data_dir: Path, emulator, run_cli) -> None:  # type: ignore[no-untyped-def]
    import_sample(run_cli)
    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)
    before = {email: len(items) for email, items in emulator.mailboxes().items()}

    again = launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)

    assert len(emulator.events(ORGANISER)) == 6
    assert {email: len(items) for email, items in emulator.mailboxes().items()} == before
    assert again["changes"] == 0


def test_a_partner_added_later_is_invited_and_nobody_else_hears_anything(
    tmp_path: Path,
    data_dir: Path,
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(run_cli)
    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)
    before = {email: len(items) for email, items in emulator.mailboxes().items()}
    newcomer = "new.partner@morley.example.org"
    extra = tmp_path / "more.csv"
    extra.write_text(
        "organisation,lcp,sector,roles,contact_name,email,hub_stage\n"
        f"Morley Health Visitors,morley,health,motivating,New Partner,{newcomer},\n",
        encoding="utf-8",
    )
    assert run_cli("partners", "import", str(extra)).exit_code == 0

    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)

    after = {email: len(items) for email, items in emulator.mailboxes().items()}
    assert {e: n for e, n in after.items() if e != newcomer} == before
    # All-partner workshops 1, 2 and 6 and the health workshop 4.
    # Subjects say what and when: "Digital Health Hubs workshop: {title}, Tue 11 Oct 10:00".
    subjects = [item.subject for item in emulator.mailbox(newcomer)]
    assert all(re.fullmatch(r"Digital Health Hubs workshop: .+, \w{3} \d+ \w{3} \d\d:\d\d", s) for s in subjects)
    assert sorted(s.split(": ", 1)[1].rsplit(", ", 1)[0] for s in subjects) == [
        "Introduction to the approach",
        "Launching the network and next steps",
        "Motivating and signposting",
        "Understanding community need",
    ]
    assert {item.kind for item in emulator.mailbox(newcomer)} == {"invitation"}
    assert len(emulator.events(ORGANISER)) == 6


def test_a_moved_workshop_sends_its_attendees_one_update_and_no_second_invitation(
    tmp_path: Path,
    data_dir: Path,
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(run_cli)
    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)
    invitations_before = received(emulator, "invitation")
    moved = with_override(tmp_path, "overrides = [{ workshop = 2, date = 2022-11-22 }]")

    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False, config_path=str(moved))

    event = events_by_workshop(emulator)[2]
    assert event["start"]["dateTime"].startswith("2022-11-22T10:00:00")  # 10:00 GMT
    updates = received(emulator, "update")
    assert set(updates) == attendees(event)
    assert set(updates.values()) == {1}
    assert received(emulator, "invitation") == invitations_before
    assert len(emulator.events(ORGANISER)) == 6


def test_a_workshop_cancelled_in_the_config_is_cancelled_for_its_attendees(
    tmp_path: Path,
    data_dir: Path,
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(run_cli)
    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)
    attendees_of_4 = attendees(events_by_workshop(emulator)[4])
    cancelled = with_override(tmp_path, "cancelled_workshops = [4]")

    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False, config_path=str(cancelled))
    launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False, config_path=str(cancelled))

    assert sorted(events_by_workshop(emulator)) == [1, 2, 3, 5, 6]
    assert set(received(emulator, "cancellation")) == attendees_of_4
    assert set(received(emulator, "cancellation").values()) == {1}


def test_launching_a_wave_that_is_all_in_the_past_is_refused(data_dir: Path, emulator, run_cli) -> None:  # type: ignore[no-untyped-def]
    import_sample(run_cli)
    result = run_cli("launch", "wave-1", "--no-approval", "--as-of", "2023-06-01")
    assert result.exit_code == 2
    assert "every workshop is in the past" in result.stderr
    assert emulator.mailboxes() == {}


def test_dry_run_prints_the_plan_and_sends_nothing(data_dir: Path, emulator, run_cli) -> None:  # type: ignore[no-untyped-def]
    import_sample(run_cli)
    result = run_cli("launch", "wave-1", "--dry-run", "--as-of", "2022-09-01")
    assert result.exit_code == 0, result.stderr
    assert "Understanding community need" in result.stdout
    assert "dry run: nothing sent" in result.stdout
    assert emulator.events(ORGANISER) == []
    assert emulator.mailboxes() == {}
    assert emulator.requests == []
