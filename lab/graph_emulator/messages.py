"""Mail items in the app's mailbox (Drafts, Sent Items) and how they look in Graph JSON."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message as Message_
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from graph_emulator.errors import ServiceError
from graph_emulator.htmltext import html_to_text, text_to_html
from graph_emulator.odata import merge_extended
from graph_emulator.timezones import iso_utc

Address = tuple[str, str]  # (name, address)

_FOLD = re.compile(r"\r?\n(?=[ \t])")

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
    """Graph's MIME upload: the request body is base64 of an RFC 822 message.

    Parsed with the compat32 policy and decoded here: the default policy builds an object per header and is
    several times slower, which a simulation sending thousands of messages notices."""
    try:
        raw = base64.b64decode(b"".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(
            400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."
        ) from None
    parsed = BytesParser(policy=policy.compat32).parsebytes(raw)
    if not parsed.keys():
        raise ServiceError(400, "ErrorMimeContentConversionFailed", "The MIME content could not be converted.")
    text_part = _body_part(parsed, "text/plain")
    html_part = _body_part(parsed, "text/html")
    custom = [
        {"name": name, "value": _decoded(value)} for name, value in parsed.items() if name.lower().startswith("x-")
    ]

    def addresses(header: str) -> list[Address]:
        values = [_decoded(v) for v in parsed.get_all(header, [])]
        return [(n, a) for n, a in getaddresses(values) if a]

    message_id = parsed["Message-ID"]
    return MimeContent(
        subject=_decoded(parsed.get("Subject", "")),
        to=addresses("To"),
        cc=addresses("Cc"),
        bcc=addresses("Bcc"),
        text=_content(text_part),
        html=_content(html_part),
        message_id=_decoded(message_id).strip() if message_id else None,
        headers=custom,
    )


def _decoded(value: Any) -> str:
    """A header's text, unfolded, with RFC 2047 encoded words decoded."""
    text = _FOLD.sub("", str(value))
    return str(make_header(decode_header(text))) if "=?" in text else text


def _body_part(message: Message_, content_type: str) -> Message_ | None:
    """The first `content_type` part that is not an attachment (what get_body(preferencelist=...) finds for
    the messages mail clients and rollout send)."""
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() != content_type:
            continue
        if (part.get("Content-Disposition") or "").strip().lower().startswith("attachment"):
            continue
        return part
    return None


def _content(part: Message_ | None) -> str | None:
    if part is None:
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", "replace")


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
