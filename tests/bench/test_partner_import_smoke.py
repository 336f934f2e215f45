"""bench/partner_import.py at a small scale, so the benchmark keeps working: the generated file imports through the
real command (on the session's backend: SQLite, or PostgreSQL with ROLLOUT_TEST_POSTGRES_URL), re-imports with no
change and updates every contact. No timing assertions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench.partner_import import main, write_csv
from tests.backends import postgres_admin_url


def test_the_generated_file_is_valid_partner_csv(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    write_csv(path, 50)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 50 and len({r["email"] for r in rows}) == 50
    by_org: dict[str, set[tuple[str, str, str]]] = {}
    for r in rows:
        by_org.setdefault(r["organisation"], set()).add((r["sector"], r["roles"], r["hub_stage"]))
    assert all(len(answers) == 1 for answers in by_org.values())  # one organisation, one set of answers


def test_the_benchmark_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_admin_url()
    code = main(["--rows", "300", "--max-ratio", "1000", *(["--database-url", url] if url else [])])
    out = capsys.readouterr().out
    assert code == 0, out
    for run in ("| baseline |", "| import |", "| re-import |", "| update |"):
        assert run in out
    assert "ratio " in out and "peak RSS" in out
