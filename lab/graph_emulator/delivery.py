"""What each address received: the inspection view for tests and the .eml files for people."""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal

Kind = Literal["invitation", "update", "cancellation", "mail"]


@dataclass(frozen=True)
class MailboxItem:
    """One item as the recipient's mailbox holds it. `to`/`cc` are what the recipient can see."""

    number: int  # 1-based position in this recipient's mailbox
    kind: Kind
    subject: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    received_at: dt.datetime
    text: str
    html: str
    internet_message_id: str
    event_id: str | None = None
    start: dt.datetime | None = None  # meeting times in UTC, for invitations and updates
    end: dt.datetime | None = None
    location: str | None = None
    join_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("received_at", "start", "end"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        data["to"] = list(self.to)
        data["cc"] = list(self.cc)
        return data


@dataclass(frozen=True)
class Delivery:
    """One send, before it is fanned out to recipients."""

    kind: Kind
    subject: str
    sender: str
    text: str
    html: str
    internet_message_id: str
    event_id: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    location: str | None = None
    join_url: str | None = None


class Mailboxes:
    """Received items per address. Callers hold the emulator's store lock; file writing has its own lock."""

    def __init__(self, data_dir: Path | None, index_each_item: bool = True) -> None:
        self._items: dict[str, list[MailboxItem]] = {}
        self._writer = _EmlWriter(data_dir / "mailboxes", index_each_item) if data_dir is not None else None

    def deliver(
        self, recipient: str, delivery: Delivery, to: tuple[str, ...], cc: tuple[str, ...], now: dt.datetime
    ) -> MailboxItem:
        box = self._items.setdefault(recipient.lower(), [])
        item = MailboxItem(
            number=len(box) + 1,
            kind=delivery.kind,
            subject=delivery.subject,
            sender=delivery.sender,
            to=to,
            cc=cc,
            received_at=now,
            text=delivery.text,
            html=delivery.html,
            internet_message_id=delivery.internet_message_id,
            event_id=delivery.event_id,
            start=delivery.start,
            end=delivery.end,
            location=delivery.location,
            join_url=delivery.join_url,
        )
        box.append(item)
        if self._writer is not None:
            self._writer.write(recipient.lower(), item)
        return item

    def of(self, address: str) -> list[MailboxItem]:
        return list(self._items.get(address.lower(), ()))

    def all(self) -> dict[str, list[MailboxItem]]:
        return {address: list(items) for address, items in self._items.items()}

    def clear(self) -> None:
        self._items.clear()
        if self._writer is not None:
            self._writer.clear()

    def flush(self) -> None:
        """Write index.json now (it is written after every item unless index_each_item is off)."""
        if self._writer is not None:
            self._writer.flush()

    @property
    def directory(self) -> Path | None:
        return self._writer.root if self._writer is not None else None


def _private_dir(path: Path) -> None:
    """Mail holds names and addresses: folders this writer creates are 0700 (rollout.files, which it cannot import)."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


class _EmlWriter:
    """data_dir/mailboxes/<address>/<NNNN>-<kind>.eml plus data_dir/mailboxes/index.json."""

    def __init__(self, root: Path, index_each_item: bool = True) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._index: dict[str, list[dict[str, Any]]] = {}
        self._index_each_item = index_each_item
        self._unwritten = False

    def write(self, address: str, item: MailboxItem) -> None:
        folder = self.root / _safe_folder(address)
        name = f"{item.number:04d}-{item.kind}.eml"
        with self._lock:
            _private_dir(folder)
            _write_private(folder / name, _as_eml(address, item))
            summary = {k: v for k, v in item.to_json().items() if k not in ("text", "html")}
            self._index.setdefault(address, []).append({"file": f"{folder.name}/{name}", **summary})
            self._unwritten = True
            if self._index_each_item:
                self._write_index()

    def flush(self) -> None:
        with self._lock:
            if self._unwritten:
                self._write_index()

    def _write_index(self) -> None:
        _private_dir(self.root)
        tmp = self.root / "index.json.tmp"
        _write_private(tmp, json.dumps(self._index, indent=2).encode("utf-8"))
        tmp.replace(self.root / "index.json")  # readers never see a half-written index
        self._unwritten = False

    def clear(self) -> None:
        with self._lock:
            self._index.clear()
            self._unwritten = False
            if self.root.exists():
                for eml in self.root.glob("*/*.eml"):
                    eml.unlink()
                (self.root / "index.json").unlink(missing_ok=True)


def _safe_folder(address: str) -> str:
    return "".join(c if c.isalnum() or c in "@.-_+" else "_" for c in address)


def _as_eml(address: str, item: MailboxItem) -> bytes:
    """The item as an .eml file: multipart/alternative, plain text then HTML, each quoted-printable UTF-8.

    Built directly rather than with email.message.EmailMessage, which takes several milliseconds per message
    (a simulation writes thousands); the email package still encodes the headers."""
    text = binascii.b2a_qp((item.text or "").encode("utf-8"), istext=True)
    html = binascii.b2a_qp((item.html or "").encode("utf-8"), istext=True)
    # "=_" never occurs in quoted-printable text, so this boundary cannot collide with either part.
    boundary = "=_rollout_" + hashlib.sha256(text + html).hexdigest()[:24]
    headers = [
        ("From", item.sender),
        ("To", ", ".join(item.to) if item.to else address),
        *([("Cc", ", ".join(item.cc))] if item.cc else []),
        ("Subject", item.subject),
        ("Date", format_datetime(item.received_at)),
        ("Message-ID", item.internet_message_id),
        ("X-Rollout-Kind", item.kind),
        *([("X-Rollout-Event-Id", item.event_id)] if item.event_id else []),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    lines = [f"{name}: {_header(name, value)}" for name, value in headers]
    head = "\n".join(lines).encode("ascii")
    parts = b"".join(
        f'--{boundary}\nContent-Type: text/{subtype}; charset="utf-8"\n'
        "Content-Transfer-Encoding: quoted-printable\n\n".encode("ascii")
        + body
        + b"\n"
        for subtype, body in (("plain", text), ("html", html))
    )
    return head + b"\n\n" + parts + f"--{boundary}--\n".encode("ascii")


def _header(name: str, value: str) -> str:
    """RFC 2047-encoded where not plain ASCII, folded where long."""
    value = " ".join(value.split())
    if value.isascii() and len(name) + len(value) < 76:
        return value
    return Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name).encode(linesep="\n")
