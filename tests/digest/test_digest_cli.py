"""`rollout digest`: preview the HTML for the programme or one LCP's lead without sending or storing; or run it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from tests.digest.conftest import NASTY, World


def counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(models.DigestSnapshot)) or 0,
            session.scalar(select(func.count()).select_from(models.OutboundMessage)) or 0,
        )


def test_preview_writes_the_whole_programme_html_and_stores_and_sends_nothing(
    data_dir: Path,
    world: World,
    sessions: sessionmaker[Session],
    run_cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    before = counts(sessions)
    out = tmp_path / "preview" / "digest.html"
    result = run_cli("digest", "--as-of", "2022-10-17", "--preview", str(out))

    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "Weekly digest: week of 17 October 2022" in page
    assert "as of Monday 17 October 2022, 08:00 (UK time)" in page  # a date means the configured digest time
    assert page.index("Needs your attention") < page.index("This week in numbers") < page.index(">Morley")
    assert "nothing sent or stored" in result.stdout
    assert counts(sessions) == before


def test_preview_for_one_lcp_shows_what_its_lead_receives(
    data_dir: Path,
    world: World,
    run_cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "central.html"
    result = run_cli("digest", "--as-of", "2022-10-17", "--preview", str(out), "--lcp", "central")

    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "For <strong>Central</strong>" in page
    assert "&lt;script&gt;" in page and NASTY not in page
    assert "Morley Secret Pantry" not in page and "LCPs at a glance" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lcp", "nowhere", "--preview", "x.html"), "unknown LCP 'nowhere'"),
        (("--lcp", "central"), "only applies with --preview"),
        (("--as-of", "17/10/2022", "--preview", "x.html"), "is not a date"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    data_dir: Path,
    run_cli,
    args: tuple[str, ...],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    result = run_cli("digest", *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.usefixtures("prefect_server")
def test_without_preview_the_command_runs_the_flow(
    data_dir: Path,
    world: World,
    run_cli,
    recording_gateway,  # type: ignore[no-untyped-def]
) -> None:
    result = run_cli("digest", "--as-of", "2022-10-17")

    assert result.exit_code == 0, result.stderr
    assert "digest for the week of 2022-10-17: 12 emails queued for 12 recipients" in result.stdout
    assert "artifact digest-2022-w42" in result.stdout
    digests = [m for m in recording_gateway.mails if m.spec.subject.startswith("Weekly digest")]
    assert len(digests) == 12


GATEWAY_SETTINGS = ("ROLLOUT_TENANT_ID", "ROLLOUT_CLIENT_ID", "ROLLOUT_CLIENT_SECRET", "ROLLOUT_CLIENT_SECRET_BLOCK")


@pytest.mark.usefixtures("prefect_server")
def test_without_microsoft_365_settings_the_digest_stores_and_queues_nothing(
    data_dir: Path,
    world: World,
    sessions: sessionmaker[Session],
    run_cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    for name in GATEWAY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    before = counts(sessions)

    result = run_cli("digest", "--as-of", "2022-10-17")

    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "error: environment: ROLLOUT_TENANT_ID is not set; ROLLOUT_CLIENT_ID is not set; ROLLOUT_CLIENT_SECRET is not "
        "set (nor ROLLOUT_CLIENT_SECRET_BLOCK, nor ROLLOUT_CLIENT_CERT_PATH + ROLLOUT_CLIENT_CERT_THUMBPRINT) "
        "(docs/microsoft365.md); nothing was queued or sent"
    ]
    assert counts(sessions) == before
