"""The digest through the real gateway (O365 + msal over HTTPS) into the Graph emulator's mailboxes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.weekly_digest import weekly_digest
from rollout.config import Programme
from tests.digest.conftest import AS_OF, World

pytest.importorskip("rollout.m365.gateway", reason="the Microsoft 365 gateway is not merged yet")
pytestmark = pytest.mark.usefixtures("prefect_server")


def digest_mail(emulator) -> dict[str, list]:  # type: ignore[no-untyped-def,type-arg]
    return {
        email: [item for item in items if item.kind == "mail" and item.subject.startswith("Weekly digest")]
        for email, items in emulator.mailboxes().items()
    }


def test_running_the_digest_twice_in_a_week_delivers_one_email_to_each_recipient(
    data_dir: Path,
    world: World,
    programme: Programme,
    emulator,  # type: ignore[no-untyped-def]
) -> None:
    weekly_digest(as_of=AS_OF)
    weekly_digest(as_of=AS_OF + dt.timedelta(hours=5))

    received = {email: len(items) for email, items in digest_mail(emulator).items() if items}
    expected = {"programme.manager@example.org", *(str(lcp.lead.email) for lcp in programme.lcps)}
    assert received == dict.fromkeys(expected, 1)
    central = digest_mail(emulator)["central.lead@example.org"][0]
    assert central.to == ("central.lead@example.org",)
    assert "Morley Secret Pantry" not in central.html and "Morley Secret Pantry" not in central.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in central.html
