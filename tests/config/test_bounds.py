"""Bounds: what validates fits the database (on either lane) and the calendar; checks stay linear in size."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme, load_programme
from rollout.db.session import unit_of_work
from rollout.limits import MAX_DAYS, NAME_LENGTH
from rollout.partners.csv_rows import read_partner_csv
from rollout.partners.importer import import_partners
from rollout.programme.sync import sync_programme

Raw = dict[str, Any]


def test_a_duplicate_among_eight_thousand_ids_is_found_in_linear_time(
    raw: Raw, problems: Callable[[Raw], list[str]]
) -> None:
    raw["roles"] += [{"id": f"r{i}", "title": f"R {i}"} for i in range(8000)]
    raw["roles"].append({"id": "r1", "title": "again"})
    started = time.monotonic()
    found = problems(raw)
    assert found == [f"roles[{len(raw['roles']) - 1}].id: duplicate id 'r1'"]
    assert time.monotonic() - started < 5  # was 14 s: a quadratic duplicate check


def test_ten_years_is_the_longest_day_count(raw: Raw, load_raw: Callable[[Raw], Programme]) -> None:
    raw["stages"][0]["stall_after_days"] = MAX_DAYS
    raw["escalation"]["levels"][-1]["after_days"] = MAX_DAYS
    assert load_raw(raw).stages[0].stall_after_days == MAX_DAYS


def test_the_longest_names_the_config_and_csv_allow_fit_the_database(
    raw: Raw,
    load_raw: Callable[[Raw], Programme],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    """SQLite ignores String(n); PostgreSQL enforces it. Whatever validation accepts must store on both."""
    raw["lcps"][0]["name"] = "L" * NAME_LENGTH
    raw["lcps"][0]["lead"]["name"] = "P" * NAME_LENGTH
    raw["waves"][0]["name"] = "W" * NAME_LENGTH
    programme = load_raw(raw)
    lcp = programme.lcps[0].id
    csv = tmp_path / ("p" * 240 + ".csv")  # the file name is stored with each hub stage change it makes
    csv.write_text(
        "organisation,lcp,sector,roles,contact_name,email,hub_stage\n"
        f"{'O' * NAME_LENGTH},{lcp},{programme.sector_ids[0]},{programme.role_ids[0]},{'N' * NAME_LENGTH},"
        f"{'e' * 60}@{'d' * 60}.example.org,1\n",
        encoding="utf-8",
    )
    rows = read_partner_csv(csv, programme)
    with unit_of_work(sessions) as session:
        sync_programme(session, programme)
        report = import_partners(session, programme, rows, source=csv.name)
    assert report.organisations_created == 1


@pytest.mark.parametrize("value", ["Name\x00", "Name\r\nBcc: x@y.example", "A\u202eB", "x" * (NAME_LENGTH + 1)])
def test_a_name_the_database_or_an_email_header_would_refuse_fails_validation(
    raw: Raw, problems: Callable[[Raw], list[str]], value: str
) -> None:
    raw["lcps"][0]["lead"]["name"] = value
    assert [p for p in problems(raw) if p.startswith("lcps[0].lead.name: ")]


def test_a_config_over_the_size_cap_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# x\n" * 2_500_000)
    started = time.monotonic()
    with pytest.raises(Exception, match="larger than"):
        load_programme(path)
    assert time.monotonic() - started < 2
