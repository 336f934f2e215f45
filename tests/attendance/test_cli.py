"""`rollout attendance import | mark | list | qr` on a planned wave 1 (no Outlook needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rollout.attendance.here import verify
from rollout.checkin.tokens import codec
from rollout.db import models
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample, plan_in_database_only
from tests.reconcile.scenario import sample_rows

SECRET = "attendance-test-secret-0123456789-abcdefghij"


@pytest.fixture
def planned(data_dir, sessions, programme):  # type: ignore[no-untyped-def]
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    return sessions


def attendance_rows(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(models.Attendance)) or 0


def emails(n: int) -> list[str]:
    return [r["email"] for r in sample_rows()][:n]


def test_import_records_who_came_lists_unknown_addresses_and_is_a_no_op_the_second_time(
    planned,
    run_cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    sheet = tmp_path / "sign-in.csv"
    known = emails(3)
    sheet.write_text(
        "name,email,signed\n"
        + "".join(f"Someone,{e.upper() if i == 0 else e},yes\n" for i, e in enumerate(known))
        + "Visitor,visitor@nowhere.example,yes\n",
        encoding="utf-8",
    )
    first = run_cli("attendance", "import", str(sheet), "--wave", "wave-1", "--workshop", "2", "--by", "tester")
    assert first.exit_code == 0, first.stderr
    assert "4 rows, 3 recorded as present, 0 already recorded, 1 unknown" in first.stdout
    assert "row 5: visitor@nowhere.example is not a partner contact" in first.stdout
    again = run_cli("attendance", "import", str(sheet), "--wave", "wave-1", "--workshop", "2", "--by", "tester")
    assert "0 recorded as present, 3 already recorded" in again.stdout
    assert attendance_rows(planned) == 3


def test_a_bad_row_exits_2_naming_it_and_writes_nothing(planned, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "sign-in.csv"
    sheet.write_text(f"email\n{emails(1)[0]}\nnot-an-address\n", encoding="utf-8")
    result = run_cli("attendance", "import", str(sheet), "--wave", "wave-1", "--workshop", "2", "--by", "tester")
    assert result.exit_code == 2
    assert f"{sheet}: row 3:" in result.stderr and "Traceback" not in result.stderr
    assert attendance_rows(planned) == 0
    no_column = tmp_path / "names.csv"
    no_column.write_text("name\nPat\n", encoding="utf-8")
    result = run_cli("attendance", "import", str(no_column), "--wave", "wave-1", "--workshop", "2")
    assert result.exit_code == 2 and "needs an `email` column" in result.stderr


def test_mark_present_then_absent_and_list_shows_it(planned, run_cli) -> None:  # type: ignore[no-untyped-def]
    who = emails(1)[0]
    base = ("--wave", "wave-1", "--workshop", "2", "--email", who, "--by", "tester")
    assert run_cli("attendance", "mark", *base).exit_code == 0
    assert "already recorded" in run_cli("attendance", "mark", *base).stdout
    assert run_cli("attendance", "mark", *base, "--absent").exit_code == 0
    listed = json.loads(run_cli("attendance", "list", "--wave", "wave-1", "--workshop", "2", "--json").stdout)
    assert [(r["email"], r["present"], r["source"]) for r in listed["attendance"]] == [(who, False, "mark")]
    unknown = run_cli("attendance", "mark", *base[:4], "--email", "x@nowhere.example", "--by", "tester")
    assert unknown.exit_code == 2 and "not an active partner contact" in unknown.stderr


def test_mark_resolves_an_unmatched_teams_attendee(planned, run_cli) -> None:  # type: ignore[no-untyped-def]
    with planned.begin() as session:
        workshop = session.scalars(select(models.Workshop).where(models.Workshop.number == 1)).one()
        row = models.UnmatchedAttendee(
            workshop_id=workshop.id,
            identity="name:pat (phone)",
            name="Pat (phone)",
            email=None,
            seen_at=local(d("2022-10-19")),
        )
        session.add(row)
    listed = json.loads(run_cli("attendance", "list", "--wave", "wave-1", "--json").stdout)
    (unmatched,) = listed["unmatched"]
    who = emails(1)[0]
    result = run_cli(
        "attendance", "mark", "--wave", "wave-1", "--workshop", "1", "--email", who,
        "--resolves", str(unmatched["id"]), "--by", "tester",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    listed = json.loads(run_cli("attendance", "list", "--wave", "wave-1", "--json").stdout)
    assert listed["unmatched"] == [] and [r["email"] for r in listed["attendance"]] == [who]


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_qr_writes_the_workshops_signed_link(planned, run_cli, tmp_path: Path, monkeypatch, suffix: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", SECRET)
    monkeypatch.setenv("ROLLOUT_PUBLIC_URL", "https://checkin.example.gov.uk")
    out = tmp_path / f"room{suffix}"
    result = run_cli("attendance", "qr", "--wave", "wave-1", "--workshop", "2", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data
    url = re.search(r"https://checkin\.example\.gov\.uk/here/\S+", result.stdout)
    assert url is not None
    if suffix == ".svg":
        assert url.group(0).encode() in data  # the link is in the SVG's description too
    claim = verify(codec(), url.group(0).rsplit("/", 1)[1])
    with planned() as session:
        workshop = session.scalars(select(models.Workshop).where(models.Workshop.number == 2)).one()
    assert claim is not None and claim.workshop_id == workshop.id and claim.day == d("2022-11-15")


def test_qr_refuses_another_file_type(planned, run_cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", SECRET)
    result = run_cli("attendance", "qr", "--wave", "wave-1", "--workshop", "2", "--out", str(tmp_path / "room.pdf"))
    assert result.exit_code == 2 and "must end in .png or .svg" in result.stderr
    assert not (tmp_path / "room.pdf").exists()
