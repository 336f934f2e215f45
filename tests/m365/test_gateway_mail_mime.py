"""Mail drafts are real multipart/alternative MIME with a Message-ID derived from the idempotency key."""

from __future__ import annotations

import base64
import email
from email import policy

from rollout.m365.mail import message_id_for, mime_draft_body
from rollout.outbound.gateway import MailSpec, Recipient

MAIL = MailSpec(
    to=(Recipient("Ann Lee", "ann@hub.example"),),
    cc=(Recipient("Bo Chan", "bo@hub.example"),),
    subject="Workshop 2 – what to bring",
    text="Bring your laptop.",
    html="<p>Bring your <b>laptop</b>.</p>",
)


def test_message_id_is_deterministic_and_in_the_senders_domain() -> None:
    first = message_id_for("wave-1/ann/reminder-2", "hubs@council.example")
    assert first == message_id_for("wave-1/ann/reminder-2", "hubs@council.example")
    assert first != message_id_for("wave-1/ann/reminder-3", "hubs@council.example")
    assert first.startswith("<rollout.") and first.endswith("@council.example>")
    assert len(first) < 80


def test_the_draft_is_base64_mime_with_text_then_html() -> None:
    message_id = message_id_for("k", "hubs@council.example")
    raw = base64.b64decode(mime_draft_body(MAIL, "hubs@council.example", message_id))
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Message-ID"] == message_id
    assert parsed["From"] == "hubs@council.example"
    assert "ann@hub.example" in parsed["To"] and "bo@hub.example" in parsed["Cc"]
    assert parsed["Subject"] == "Workshop 2 – what to bring"
    parts = [p.get_content_type() for p in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert parsed.get_body(("plain",)).get_content().strip() == "Bring your laptop."
    assert "<b>laptop</b>" in parsed.get_body(("html",)).get_content()
