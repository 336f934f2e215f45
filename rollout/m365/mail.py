"""Mail as a MIME draft with a deterministic Message-ID (the key to exactly-once sending).

`sendMail` has no idempotency key and answers 202 with no body, so a lost response leaves no way to know
whether the message went. Instead: a draft is created from MIME whose Message-ID is derived from the caller's
key; Exchange keeps it as the draft's `internetMessageId` (and on the sent copy), which can be looked up with
`$filter=internetMessageId eq '...'` after any failure. See gateway.send_mail for the protocol.
"""

from __future__ import annotations

import base64
import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from rollout.outbound.gateway import MailSpec, PermanentGraphError, Recipient


def message_id_for(key: str, organiser: str) -> str:
    """`<rollout.{40 hex of sha256(key)}@{organiser's domain}>`: deterministic, unique per key, free of
    personal data, and in the sender's own domain (receiving filters distrust foreign or invalid domains)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    domain = organiser.rsplit("@", 1)[-1].lower()
    return f"<rollout.{digest}@{domain}>"


def _address(recipient: Recipient) -> Address:
    try:
        return Address(display_name=recipient.name, addr_spec=recipient.email.strip())
    except (ValueError, TypeError, IndexError):
        # Not even parseable as an address: Exchange would refuse it too; say so the way Graph does.
        raise PermanentGraphError(
            400, "ErrorInvalidRecipients", f"recipient {recipient.email!r} is not a valid address"
        ) from None


def mime_message(mail: MailSpec, organiser: str, message_id: str) -> bytes:
    """multipart/alternative with the plain-text part first and the HTML part last (readers show the last
    part they understand)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(addr_spec=organiser)
    message["To"] = [_address(r) for r in mail.to]
    if mail.cc:
        message["Cc"] = [_address(r) for r in mail.cc]
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message.as_bytes()


def mime_draft_body(mail: MailSpec, organiser: str, message_id: str) -> str:
    """The body Graph wants to create a message from MIME: the MIME, base64-encoded, sent as text/plain."""
    return base64.b64encode(mime_message(mail, organiser, message_id)).decode("ascii")
