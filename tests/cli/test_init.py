"""`rollout init`: a second council writes a valid programme file from flags (or questions) and can plan at once."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from rollout.config import load_programme

TODAY = "2031-05-20"
FLAGS = (
    *("--council", "Kirklees Council", "--organiser", "hubs@kirklees.example.org"),
    *("--manager", "Pat Manager <pat.manager@kirklees.example.org>"),
    *("--lcp", "Batley & Spen=Ann Lead <ann.lead@kirklees.example.org>"),
    *("--lcp", "Dewsbury=Bo Lead <bo.lead@kirklees.example.org>"),
    *("--lcp", "Huddersfield North=Cy Lead <cy.lead@kirklees.example.org>"),
    *("--lcps-per-wave", "2", "--wave-months", "6", "--holidays", "GB-ENG", "--today", TODAY),
)


def test_init_writes_a_programme_that_validates_and_plans_in_the_future(
    tmp_path: Path, data_dir: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kirklees.toml"
    result = run_cli("init", str(path), *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {path}" in result.stdout
    programme = load_programme(path)
    assert [lcp.id for lcp in programme.lcps] == ["batley-spen", "dewsbury", "huddersfield-north"]
    assert [w.lcps for w in programme.waves] == [["batley-spen", "dewsbury"], ["huddersfield-north"]]
    assert all(w.start > dt.date.fromisoformat(TODAY) for w in programme.waves)
    assert programme.waves[0].start == dt.date(2031, 7, 1)  # the month after next
    assert (len(programme.workshops), len(programme.roles), len(programme.stages)) == (6, 6, 4)
    assert "Leeds" not in path.read_text(encoding="utf-8")
    assert run_cli("validate", "--config", str(path)).exit_code == 0
    plan = run_cli("plan", "wave-1", "--config", str(path), "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    starts = [dt.datetime.fromisoformat(w["start"]) for w in __import__("json").loads(plan.stdout)]
    assert len(starts) == 6 and min(starts).date() > dt.date.fromisoformat(TODAY)


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "waves.toml"
    path.write_text("# someone's work\n", encoding="utf-8")
    refused = run_cli("init", str(path), *FLAGS)
    assert refused.exit_code == 2
    assert "already exists; choose another file or add --force" in refused.stderr
    assert path.read_text(encoding="utf-8") == "# someone's work\n"
    assert run_cli("init", str(path), *FLAGS, "--force").exit_code == 0
    assert (
        tomllib.loads(path.read_text(encoding="utf-8"))["programme"]["name"] == "Kirklees Council Digital Health Hubs"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--start", "2031-05-01"), "is not after today (2031-05-20): waves must start in the future"),
        (("--lcp", "Nowhere"), "'Nowhere' is not like 'Morley=Ann Lead <ann.lead@example.org>'"),
        (("--timezone", "Europe/Leeds"), "unknown time zone 'Europe/Leeds'"),
        (("--wave-months", "1"), "waves[0]: too short for its workshops"),  # the loader says why
    ],
    ids=["past start", "bad lcp", "bad zone", "wave too short"],
)
def test_init_refuses_bad_answers_and_writes_nothing(tmp_path: Path, run_cli, change, message) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "new.toml"
    result = run_cli("init", str(path), *FLAGS, *change)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not path.exists()


def test_init_without_a_terminal_names_every_missing_flag(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("init", str(tmp_path / "new.toml"))
    assert result.exit_code == 2
    assert "missing --council, --organiser, --manager, --lcp" in result.stderr


def test_the_defaults_ship_inside_the_package() -> None:
    from importlib.resources import files

    text = files("rollout.config").joinpath("defaults.toml").read_text(encoding="utf-8")
    defaults = tomllib.loads(text)
    assert len(defaults["workshops"]) == 6 and len(defaults["roles"]) == 6 and len(defaults["stages"]) == 4
