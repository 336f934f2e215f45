"""Mail as a MIME draft with a deterministic Message-ID (the key to exactly-once sending).

`sendMail` has no idempotency key and answers 202 with no body, so a lost response leaves no way to know
whether the message went. Instead: a draft is created from MIME whose Message-ID is derived from the caller's
key; Exchange keeps it as the draft's `internetMessageId` (and on the sent copy), which can be looked up with
`$filter=internetMessageId eq '...'` after any failure. See gateway.send_mail for the protocol.

The MIME is written here directly rather than through `email.message.EmailMessage`, whose header registry,
content manager and generator cost about 2.5 ms per message (as much as both Graph requests). The bytes are the
ones `EmailMessage(policy=SMTP)` + `set_content` + `add_alternative` + `as_bytes()` produce (tests/m365 checks
that against the stdlib on hostile and ordinary input): a header that is plain printable ASCII and fits on one
line is written as is; any other (non-ASCII names or subjects, specials to quote, long lines, line breaks) is
parsed, encoded and folded by the stdlib's own SMTP policy, so its checks and RFC 2047 encoding still apply.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import re
import sys
from email import quoprimime
from email.headerregistry import Address
from email.policy import SMTP
from typing import Any

from rollout.outbound.gateway import MailSpec, PermanentGraphError, Recipient

_LINESEP = "\r\n"
_MAX_LINE = 78  # SMTP.max_line_length
# An atom-only display name (RFC 5322 atext, single spaces): written by the stdlib exactly as given.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_PLAIN_ADDR_SPEC = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z"
)
_PLAIN_TEXT = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*\Z")  # printable ASCII words, single spaces
_PLAIN_MESSAGE_ID = re.compile(r"<[A-Za-z0-9.]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>\Z")
_NEWLINES = re.compile(r"\r\n|\r|\n")  # email.generator.NLCRE
_BOUNDARY_WIDTH = len(repr(sys.maxsize - 1))  # email.generator's


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


def _plain_address(address: Address) -> str | None:
    """The address as the stdlib writes it, when that is simply `name <addr>` (or `addr`); else None."""
    name, addr_spec = address.display_name, address.addr_spec
    if "=?" in name or not _PLAIN_ADDR_SPEC.match(addr_spec):
        return None
    if not name:
        return addr_spec
    return f"{name} <{addr_spec}>" if _PLAIN_NAME.match(name) else None


def _header(name: str, value: Any, plain: str | None) -> bytes:
    """One header line: `plain` as is when it is one, else what EmailMessage(policy=SMTP) writes for `value`."""
    if plain is not None:
        line = f"{name}: {plain}"
        if len(line) <= _MAX_LINE:
            return (line + _LINESEP).encode("ascii")
    return SMTP.fold_binary(*SMTP.header_store_parse(name, value))


def _address_header(name: str, addresses: list[Address]) -> bytes:
    plains = [_plain_address(a) for a in addresses]
    plain = None if None in plains else ", ".join(p for p in plains if p is not None)
    return _header(name, addresses, plain)


def _text_header(name: str, value: str, pattern: re.Pattern[str]) -> bytes:
    plain = value if "=?" not in value and pattern.match(value) else None
    return _header(name, value, plain)


def _encoded_text(text: str) -> tuple[str, str]:
    """(Content-Transfer-Encoding, body) as email.contentmanager chooses and writes them for a utf-8 text part
    under the SMTP policy (its `_encode_text` with cte=None)."""
    lines = text.encode("utf-8").splitlines()
    normal = b"\n".join(lines) + b"\n"
    if max((len(line) for line in lines), default=0) <= _MAX_LINE:
        try:
            return "7bit", normal.decode("ascii")
        except UnicodeDecodeError:
            return "8bit", normal.decode("ascii", "surrogateescape")  # SMTP.cte_type == "8bit"
    embedded = b"\r\n".join(lines) + b"\r\n"
    sniff = b"\r\n".join(lines[:10]) + b"\r\n"
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), _MAX_LINE)
    if len(sniff_qp) <= len(binascii.b2a_base64(sniff)):
        if len(lines) <= 10:
            return "quoted-printable", sniff_qp
        return "quoted-printable", quoprimime.body_encode(normal.decode("latin-1"), _MAX_LINE)
    per_line = _MAX_LINE // 4 * 3
    chunks = (embedded[i : i + per_line] for i in range(0, len(embedded), per_line))
    return "base64", "".join(binascii.b2a_base64(chunk).decode("ascii") for chunk in chunks)


def _text_part(text: str, subtype: str, *, mime_version: bool) -> bytes:
    cte, body = _encoded_text(text)
    headers = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n'
    if mime_version:
        headers += "MIME-Version: 1.0\r\n"  # as EmailMessage.add_alternative writes the part it adds
    # The generator's line endings: every \r\n, \r or \n becomes \r\n (the 8bit body's bytes come back as utf-8).
    return (headers + _LINESEP + _NEWLINES.sub(_LINESEP, body)).encode("ascii", "surrogateescape")


def _boundary(parts: list[bytes]) -> str:
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_WIDTH}d}" + "=="
        marker = b"--" + boundary.encode("ascii")
        if not any(marker in part for part in parts):
            return boundary


def mime_message(mail: MailSpec, organiser: str, message_id: str) -> bytes:
    """multipart/alternative with the plain-text part first and the HTML part last (readers show the last
    part they understand)."""
    sender = Address(addr_spec=organiser)
    headers = [_address_header("From", [sender])]
    headers.append(_address_header("To", [_address(r) for r in mail.to]))
    if mail.cc:
        headers.append(_address_header("Cc", [_address(r) for r in mail.cc]))
    headers.append(_text_header("Subject", mail.subject, _PLAIN_TEXT))
    headers.append(_text_header("Message-ID", message_id, _PLAIN_MESSAGE_ID))
    parts = [_text_part(mail.text, "plain", mime_version=False), _text_part(mail.html, "html", mime_version=True)]
    boundary = _boundary(parts)
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join(
        [
            *headers,
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'.encode("ascii"),
            delimiter,
            parts[0],
            b"\r\n",
            delimiter,
            parts[1],
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )


def mime_draft_body(mail: MailSpec, organiser: str, message_id: str) -> str:
    """The body Graph wants to create a message from MIME: the MIME, base64-encoded, sent as text/plain."""
    return base64.b64encode(mime_message(mail, organiser, message_id)).decode("ascii")
