"""Mail items in the app's mailbox (Drafts, Sent Items) and how they look in Graph JSON."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from rollout.emulator.errors import ServiceError
from rollout.emulator.htmltext import html_to_text, text_to_html
from rollout.emulator.odata import merge_extended
from rollout.emulator.timezones import iso_utc

Address = tuple[str, str]  # (name, address)

WELL_KNOWN_FOLDERS = ("drafts", "sentitems", "inbox", "deleteditems", "outbox")


def folder_id(name: str) -> str:
    # Real folder ids are opaque; a stable one per well-known folder lets clients round-trip parentFolderId.
    return base64.urlsafe_b64encode(b"\x00\x01folder:" + name.encode()).decode()


def folder_name(ref: str) -> str | None:
    """A well-known name or a folder id → the well-known name; None for anything else."""
    lowered = ref.lower()
    if lowered in WELL_KNOWN_FOLDERS:
        return lowered
    return next((n for n in WELL_KNOWN_FOLDERS if folder_id(n) == ref), None)


@dataclass
class Message:
    immutable_id: str
    rest_id: str  # changes when the item moves folder, as Exchange's default ids do
    mailbox: str
    folder: str
    created: dt.datetime
    modified: dt.datetime
    change_key: str
    internet_message_id: str
    conversation_id: str
    subject: str = ""
    body_type: str = "html"
    body: str = ""
    text_part: str | None = None  # kept from MIME so recipients get the sender's own text alternative
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    sent: dt.datetime | None = None
    importance: str = "normal"
    categories: list[str] = field(default_factory=list)
    extended: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.folder == "drafts"

    def text(self) -> str:
        if self.text_part is not None:
            return self.text_part
        return html_to_text(self.body) if self.body_type == "html" else self.body

    def html(self) -> str:
        return self.body if self.body_type == "html" else text_to_html(self.body)

    def to_json(self, immutable: bool) -> dict[str, Any]:
        sender = {"emailAddress": {"name": self.mailbox, "address": self.mailbox}}
        return {
            "@odata.etag": f'W/"{self.change_key}"',
            "id": self.immutable_id if immutable else self.rest_id,
            "createdDateTime": iso_utc(self.created),
            "lastModifiedDateTime": iso_utc(self.modified),
            "changeKey": self.change_key,
            "categories": list(self.categories),
            "receivedDateTime": iso_utc(self.sent or self.created),
            "sentDateTime": iso_utc(self.sent) if self.sent else None,
            "hasAttachments": False,
            "internetMessageId": self.internet_message_id,
            "subject": self.subject,
            "bodyPreview": self.text()[:255],
            "importance": self.importance,
            "parentFolderId": folder_id(self.folder),
            "conversationId": self.conversation_id,
            "isDeliveryReceiptRequested": False,
            "isReadReceiptRequested": False,
            "isRead": True,
            "isDraft": self.is_draft,
            "webLink": f"https://outlook.office365.com/owa/?ItemID={self.rest_id}&exvsurl=1&viewmodel=ReadMessageItem",
            "inferenceClassification": "focused",
            "body": {"contentType": self.body_type, "content": self.body},
            "sender": sender,
            "from": sender,
            "toRecipients": [_recipient(a) for a in self.to],
            "ccRecipients": [_recipient(a) for a in self.cc],
            "bccRecipients": [_recipient(a) for a in self.bcc],
            "replyTo": [_recipient(a) for a in self.reply_to],
            "flag": {"flagStatus": "notFlagged"},
        }


def _recipient(address: Address) -> dict[str, Any]:
    return {"emailAddress": {"name": address[0] or address[1], "address": address[1]}}


def read_recipients(raw: list[dict[str, Any]] | None) -> list[Address]:
    result: list[Address] = []
    for entry in raw or ():
        email = (entry.get("emailAddress") or {}).get("address") or ""
        name = (entry.get("emailAddress") or {}).get("name") or ""
        result.append((str(name), str(email)))
    return result


def apply_json(message: Message, body: dict[str, Any]) -> None:
    """Copy a Graph message body (create or PATCH) onto `message`."""
    if "subject" in body:
        message.subject = str(body["subject"] or "")
    if body.get("body"):
        message.body_type = str(body["body"].get("contentType") or "text").lower()
        message.body = str(body["body"].get("content") or "")
        message.text_part = None
    for key, attribute in (("toRecipients", "to"), ("ccRecipients", "cc"), ("bccRecipients", "bcc")):
        if key in body:
            setattr(message, attribute, read_recipients(body[key]))
    if "replyTo" in body:
        message.reply_to = read_recipients(body["replyTo"])
    if body.get("importance"):
        message.importance = str(body["importance"])
    if "categories" in body:
        message.categories = [str(c) for c in body["categories"] or ()]
    if body.get("internetMessageId"):
        message.internet_message_id = str(body["internetMessageId"])
    message.extended = merge_extended(message.extended, body.get("singleValueExtendedProperties") or [])
    if body.get("internetMessageHeaders"):
        message.headers = [{"name": h["name"], "value": h["value"]} for h in body["internetMessageHeaders"]]


@dataclass(frozen=True)
class MimeContent:
    subject: str
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    text: str | None
    html: str | None
    message_id: str | None
    headers: list[dict[str, str]]


def parse_mime(payload: bytes) -> MimeContent:
    """Graph's MIME upload: the request body is base64 of an RFC 822 message."""
    try:
        raw = base64.b64decode(b"".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(
            400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."
        ) from None
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(parsed, EmailMessage) or not parsed.keys():
        raise ServiceError(400, "ErrorMimeContentConversionFailed", "The MIME content could not be converted.")
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    custom = [{"name": name, "value": str(value)} for name, value in parsed.items() if name.lower().startswith("x-")]

    def addresses(header: str) -> list[Address]:
        return [(n, a) for n, a in getaddresses([str(v) for v in parsed.get_all(header, [])]) if a]

    return MimeContent(
        subject=str(parsed.get("Subject", "")),
        to=addresses("To"),
        cc=addresses("Cc"),
        bcc=addresses("Bcc"),
        text=_content(text_part),
        html=_content(html_part),
        message_id=str(parsed["Message-ID"]).strip() if parsed["Message-ID"] else None,
        headers=custom,
    )


def _content(part: Any) -> str | None:
    if part is None:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def apply_mime(message: Message, mime: MimeContent) -> None:
    message.subject = mime.subject
    message.to, message.cc, message.bcc = mime.to, mime.cc, mime.bcc
    if mime.html is not None:
        message.body_type, message.body = "html", mime.html
    else:
        message.body_type, message.body = "text", mime.text or ""
    message.text_part = mime.text
    if mime.message_id:
        message.internet_message_id = mime.message_id
    message.headers = mime.headers
