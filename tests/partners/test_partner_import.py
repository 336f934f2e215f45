"""Importing partners from CSV: all-or-nothing, row-numbered errors, idempotent re-import, updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from tests.conftest import SAMPLE_PARTNERS

HEADER = "organisation,lcp,sector,roles,contact_name,email,hub_stage\n"
GOOD = "Morley Library,morley,council,building_confidence;supporting_skills,Ann Example,ann@morley.example.org,2\n"


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "partners.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(m)) for m in (models.Organisation, models.Contact, models.Hub)
        )


BAD_ROWS = [
    (
        "Morley Library,morley,council,supporting_skills,Ann,not-an-email,\n",
        "line 3: email: 'not-an-email' is not a valid email address",
    ),
    ("Morley Library,nowhere,council,supporting_skills,Ann,a@x.example.org,\n", "line 3: lcp: unknown LCP 'nowhere'"),
    ("Morley Library,morley,council,juggling,Ann,a@x.example.org,\n", "line 3: roles: unknown role 'juggling'"),
    (
        "Morley Library,morley,charity,supporting_skills,Ann,a@x.example.org,\n",
        "line 3: sector: unknown sector 'charity'",
    ),
    (
        "Other Org,morley,council,supporting_skills,Ann,ann@morley.example.org,\n",
        "line 3: email: ann@morley.example.org duplicates line 2",
    ),
    (
        "Morley Library,morley,council,supporting_skills,Ann,a@x.example.org,7\n",
        "line 3: hub_stage: '7' must be empty, 'interested' or a stage from 1 to 4",
    ),
    (
        "Morley Library,morley,council,supporting_skills,Ann,a@x.example.org,yes\n",
        "line 3: hub_stage: 'yes' must be empty",
    ),
    (",morley,council,supporting_skills,Ann,a@x.example.org,\n", "line 3: organisation: is required"),
    ("Morley Library,morley,council,supporting_skills,,a@x.example.org,\n", "line 3: contact_name: is required"),
    ("Morley Library,morley,council,,Ann,a@x.example.org,\n", "line 3: roles: is required"),
    (
        "Morley Library,morley,health,building_confidence;supporting_skills,Bo,bo@x.example.org,2\n",
        "line 3: sector: differs from line 2 for the same organisation 'Morley Library'",
    ),
    (
        "Morley Library,morley,council,building_confidence;supporting_skills,Bo,bo@x.example.org,1\n",
        "line 3: hub_stage: differs from line 2",
    ),
    (
        "Morley Library,morley,council,supporting_skills,Ann,a@x.example.org,,extra\n",
        "line 3: more values than columns",
    ),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS, ids=[m.split(": ", 1)[1][:40] for _, m in BAD_ROWS])
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    run_cli,
    row: str,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    path = write(tmp_path, GOOD, row)
    result = run_cli("partners", "import", str(path))
    assert result.exit_code == 2
    assert f"error: {path}: {message}" in result.stderr
    assert counts(sessions) == (0, 0, 0)


def test_every_bad_row_is_reported_at_once(tmp_path: Path, sessions: sessionmaker[Session], run_cli) -> None:  # type: ignore[no-untyped-def]
    path = write(
        tmp_path, GOOD, BAD_ROWS[0][0], BAD_ROWS[1][0].replace("a@x", "b@x"), BAD_ROWS[2][0].replace("a@x", "c@x")
    )
    result = run_cli("partners", "import", str(path))
    assert result.exit_code == 2
    lines = [line.removeprefix(f"error: {path}: ").split(":")[0] for line in result.stderr.splitlines()]
    assert lines == ["line 3", "line 4", "line 5"]
    assert counts(sessions) == (0, 0, 0)


def test_missing_and_unknown_columns_are_named(tmp_path: Path, sessions: sessionmaker[Session], run_cli) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, GOOD, header="organisation,lcp,sector,roles,name,email,hub_stage\n")
    result = run_cli("partners", "import", str(path))
    assert result.exit_code == 2
    assert f"{path}: header: missing column(s) contact_name" in result.stderr
    assert f"{path}: header: unknown column(s) name" in result.stderr
    assert counts(sessions) == (0, 0, 0)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path, sessions: sessionmaker[Session], run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "partners.csv"
    path.write_bytes(
        HEADER.encode() + "Caf\xe9,morley,council,supporting_skills,A,a@x.example.org,\n".encode("latin-1")
    )
    result = run_cli("partners", "import", str(path))
    assert result.exit_code == 2
    assert "not UTF-8 text" in result.stderr


def test_the_sample_file_imports_every_lcp_and_reimport_changes_nothing(
    sessions: sessionmaker[Session],
    run_cli,
    programme,  # type: ignore[no-untyped-def]
) -> None:
    first = run_cli("partners", "import", str(SAMPLE_PARTNERS))
    assert first.exit_code == 0, first.stderr
    before = counts(sessions)
    with sessions() as s:
        lcps = set(s.scalars(select(models.Organisation.lcp_id)))
        stamps = sorted(s.scalars(select(models.Contact.updated_at)))
    assert lcps == {lcp.id for lcp in programme.lcps}
    again = run_cli("partners", "import", str(SAMPLE_PARTNERS))
    assert again.exit_code == 0
    assert "nothing changed" in again.stdout
    assert counts(sessions) == before
    with sessions() as s:
        assert sorted(s.scalars(select(models.Contact.updated_at))) == stamps


def test_changed_rows_update_the_contact_organisation_and_hub_stage_with_history(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(write(tmp_path, GOOD))).exit_code == 0
    changed = GOOD.replace("Ann Example", "Ann Renamed").replace(",2\n", ",3\n")
    result = run_cli("partners", "import", str(write(tmp_path, changed)))
    assert result.exit_code == 0, result.stderr
    with sessions() as s:
        contact = s.scalars(select(models.Contact)).one()
        hub = s.scalars(select(models.Hub)).one()
        history = [(c.from_stage, c.to_stage, c.source) for c in hub.history]
    assert contact.name == "Ann Renamed"
    assert hub.stage == 3
    assert history == [(None, 2, "import"), (2, 3, "import")]


def test_remove_missing_deactivates_contacts_left_out_of_the_file(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    second = "Morley Library,morley,council,building_confidence;supporting_skills,Bo,bo@morley.example.org,2\n"
    assert run_cli("partners", "import", str(write(tmp_path, GOOD, second))).exit_code == 0
    result = run_cli("partners", "import", "--remove-missing", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0
    listed = run_cli("partners", "list", "--json")
    assert '"bo@morley.example.org"' not in listed.stdout
    assert '"ann@morley.example.org"' in listed.stdout
