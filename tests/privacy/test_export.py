"""`rollout partners export EMAIL`: everything held about one contact after a simulated wave."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from rollout.db import models

pytestmark = pytest.mark.slow


def test_export_holds_everything_about_one_contact(wave, sessions, run_cli, tmp_path):  # type: ignore[no-untyped-def]
    _, partner = wave
    out = tmp_path / "access-request.json"

    result = run_cli("partners", "export", partner.email, "--out", str(out))

    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["contact"]["email"] == partner.email and data["contact"]["name"] == partner.name
    with sessions() as session:
        invitations = session.scalars(
            select(models.Invitation).where(models.Invitation.contact_id == partner.contact_id)
        ).all()
        held = session.scalars(select(models.OutboundMessage)).all()
        sent_to_them = [m for m in held if partner.email in m.recipients]
    assert len(data["invitations"]) == len(invitations) > 0
    assert any(i["response"] == "accepted" and i["response_history"] for i in data["invitations"])
    assert len(data["emails"]) == len(sent_to_them) > 1
    mails = [e for e in data["emails"] if e["kind"] == "mail"]
    assert mails and all(e["subject"] and e["text"] for e in mails)  # bodies held are exported in full
    assert [u["transition"] for u in data["checkin_links_used"]] == ["action.done"]
    assert any(r["note"] and "venue" in r["note"] for r in data["records"])
    summary = out.with_suffix(".md").read_text(encoding="utf-8")
    assert out.stat().st_mode & 0o077 == 0  # readable by the operator only
    assert partner.email in summary and "Check-in links used (1)" in summary


def test_export_refuses_an_unknown_address(data_dir, run_cli):  # type: ignore[no-untyped-def]
    result = run_cli("partners", "export", "nobody@example.org")
    assert result.exit_code == 2 and "no contact with the address" in result.stdout + result.stderr
