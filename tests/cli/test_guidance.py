"""The CLI guides a programme manager: it refuses silent backward moves, suggests near misses, shows no Python types
in --help, speaks of people and messages, and prints whole addresses in its tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.cli.launch_cmd import launch_summary
from rollout.db import models
from rollout.suggest import did_you_mean
from tests.conftest import SAMPLE_PARTNERS

HEADER = "organisation,lcp,sector,roles,contact_name,email,hub_stage\n"
LONG_EMAIL = "a.very.long.partner.address.that.must.not.be.cut@community-organisation-with-a-long-name.example.org"


def import_one(tmp_path: Path, run_cli, stage: int = 3) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "partners.csv"
    path.write_text(
        HEADER + f"Morley Library,morley,council,supporting_skills,Ann Example,{LONG_EMAIL},{stage}\n", encoding="utf-8"
    )
    result = run_cli("partners", "import", str(path))
    assert result.exit_code == 0, result.stderr


def test_moving_a_hub_backwards_needs_backwards_and_says_so(
    tmp_path: Path, sessions: sessionmaker[Session], run_cli
) -> None:  # type: ignore[no-untyped-def]
    import_one(tmp_path, run_cli, stage=3)
    refused = run_cli("hubs", "progress", "Morley Library", "--stage", "1", "--by", "pm")
    assert refused.exit_code == 2
    assert refused.stderr.strip().count("\n") == 0  # one line
    assert "is at stage 3; 1 would move it backwards (add --backwards if that is meant)" in refused.stderr
    with sessions() as s:
        assert s.scalars(select(models.Hub.stage)).one() == 3
    moved = run_cli("hubs", "progress", "Morley Library", "--stage", "1", "--backwards", "--by", "pm")
    assert moved.exit_code == 0, moved.stderr
    assert "stage 3 -> 1" in moved.stdout
    forward = run_cli("hubs", "progress", "Morley Library", "--stage", "2", "--by", "pm")
    assert forward.exit_code == 0, forward.stderr


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (("hubs", "progress", "Morley Librray", "--stage", "2", "--by", "pm"), "(did you mean 'Morley Library'?)"),
        (("hubs", "list", "--lcp", "moreley"), "(did you mean 'morley'"),
        (("actions", "list", "--lcp", "armly"), "(did you mean 'armley'"),
        (("partners", "list", "--lcp", "seacroff"), "(did you mean 'seacroft'"),
        (("plan", "wave-l"), "(did you mean 'wave-1'"),
        (("launch", "wave2", "--dry-run"), "(did you mean 'wave-2'"),
    ],
    ids=["hub name", "hubs --lcp", "actions --lcp", "partners --lcp", "plan wave", "launch wave"],
)
def test_a_mistyped_name_or_id_gets_a_suggestion(tmp_path: Path, data_dir: Path, run_cli, args, suggestion) -> None:  # type: ignore[no-untyped-def]
    import_one(tmp_path, run_cli)
    result = run_cli(*args)
    assert result.exit_code == 2
    assert suggestion in result.stderr
    assert "Traceback" not in result.stderr


def test_a_mistyped_partner_email_gets_a_suggestion(tmp_path: Path, data_dir: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    import_one(tmp_path, run_cli)
    typo = LONG_EMAIL.replace("partner", "partnr")
    result = run_cli("checkin", "link", "--contact", typo, "--hub", "1", "--help")
    assert result.exit_code == 2
    assert f"(did you mean {LONG_EMAIL!r}?)" in result.stderr


def test_suggestions_ignore_case_and_offer_nothing_when_nothing_is_close() -> None:
    assert did_you_mean("MORLEY", ["morley", "armley"]) == " (did you mean 'morley'?)"
    assert did_you_mean("zzz", ["morley", "armley"]) == ""
    assert did_you_mean("wave-4", ["wave-1", "wave-2", "wave-3"]) == " (did you mean 'wave-1', 'wave-2' or 'wave-3'?)"


@pytest.mark.parametrize(
    "command",
    [("hubs", "progress"), ("partners", "import"), ("launch",), ("init",), ("plan",), ("actions", "list"), ()],
    ids=lambda c: " ".join(c) or "rollout",
)
def test_help_shows_no_python_types(run_cli, command) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert not re.search(r"<(bool|str|int|path|float)>", result.stdout), result.stdout
    assert "--help " in result.stdout


def test_hubs_progress_help_names_the_backwards_flag_without_a_type(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("hubs", "progress", "--help")
    line = next(line for line in result.stdout.splitlines() if "--backwards" in line)
    assert "earlier stage" in line and "<" not in line
    assert re.search(r"--stage\s+STAGE", result.stdout)


def test_tables_print_whole_addresses_in_a_narrow_terminal(
    tmp_path: Path, data_dir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import_one(tmp_path, run_cli)
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli("partners", "list")
    assert result.exit_code == 0
    rows = [line.split("│") for line in result.stdout.splitlines() if line.count("│") == 8]
    assert "".join(cells[6].strip() for cells in rows) == LONG_EMAIL  # the Email column: folded, never cut
    assert "…" not in result.stdout


@pytest.mark.parametrize(
    "command", [("partners", "list"), ("hubs", "list"), ("actions", "list"), ("escalations", "list")]
)
def test_every_list_has_json(data_dir: Path, run_cli, command) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    result = run_cli(*command, "--json")
    assert result.exit_code == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_launch_summary_counts_people_and_workshops_not_messages() -> None:
    real = launch_summary(
        "wave-2", {"invitations": 180, "workshops": 6, "changes": 6, "queued": 6, "outcome": "sent 6"}, False
    )
    assert real.startswith("wave-2: 180 people invited to 6 workshops (6 calendar events to create, update or cancel)")
    assert real.endswith("; delivery: sent 6")
    dry = launch_summary(
        "wave-2", {"invitations": 1, "workshops": 1, "changes": 1, "outcome": "dry run: nothing sent"}, True
    )
    assert (
        dry == "wave-2: 1 person would be invited to 1 workshop (1 calendar event to create, update or cancel); "
        "dry run: nothing sent"
    )
