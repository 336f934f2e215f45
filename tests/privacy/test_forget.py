"""`rollout partners forget EMAIL`: no trace of the address or the name in any table; the counts unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rollout.checkin import records
from rollout.checkin.tokens import ACTION_DONE, Claim
from rollout.db import models
from tests.privacy.conftest import dump, figures
from tests.reconcile.builders import d, local

pytestmark = pytest.mark.slow
AS_OF = local(d("2022-11-11"), 12)


def test_forget_leaves_no_trace_in_any_table_and_keeps_the_counts(wave, sessions, programme, data_dir, run_cli):  # type: ignore[no-untyped-def]
    _, partner = wave
    assert partner.email in dump(sessions) and partner.name in dump(sessions)
    preview = data_dir / "previews" / "reminder.eml"
    preview.parent.mkdir()
    preview.write_text(f"To: {partner.name} <{partner.email}>\n\nHello\n", encoding="utf-8")
    other = data_dir / "previews" / "other.eml"
    other.write_text("To: someone@example.org\n", encoding="utf-8")
    before = figures(sessions, programme, AS_OF)

    result = run_cli("partners", "forget", partner.email)

    assert result.exit_code == 0, result.stdout + result.stderr
    text = dump(sessions).lower()
    assert partner.email.lower() not in text
    assert partner.name.lower() not in text
    assert figures(sessions, programme, AS_OF) == before
    assert not preview.exists() and other.exists()
    with sessions() as session:
        (erasure,) = session.scalars(select(models.Erasure)).all()
        assert erasure.reason == "forget" and erasure.items > 0


def test_forget_revokes_their_check_in_links_and_stops_their_mail(wave, sessions, programme, run_cli):  # type: ignore[no-untyped-def]
    timeline, partner = wave
    assert run_cli("partners", "forget", partner.email).exit_code == 0
    with sessions() as session:
        action = session.scalars(select(models.Action).where(models.Action.status == "open")).first()
        assert action is not None
        claim = Claim(partner.contact_id, "action", action.id, ACTION_DONE, "fresh-token-0001", AS_OF)
        refusal = records.preview(session, programme, claim)
    assert isinstance(refusal, records.Refusal) and refusal.reason == "revoked"
    later = timeline.run(d("2022-11-30"))
    assert later.queue is not None
    with sessions() as session:
        recipients = [r for rs in session.scalars(select(models.OutboundMessage.recipients)) for r in rs]
    assert partner.email not in recipients
    assert not any(r.endswith("@erased.invalid") for r in recipients)  # nothing is ever sent to a tombstone


def test_forget_with_dry_run_changes_nothing(wave, sessions, run_cli):  # type: ignore[no-untyped-def]
    _, partner = wave
    before = dump(sessions)
    result = run_cli("partners", "forget", partner.email, "--dry-run")
    assert result.exit_code == 0 and "would erase" in result.stdout
    assert dump(sessions) == before


def test_forget_refuses_an_unknown_address(data_dir, run_cli):  # type: ignore[no-untyped-def]
    result = run_cli("partners", "forget", "nobody@example.org")
    assert result.exit_code == 2
    assert "no contact with the address 'nobody@example.org'" in result.stdout + result.stderr
