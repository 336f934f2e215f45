"""Identifiers shaped like Exchange's, drawn from one seeded generator so runs are repeatable."""

from __future__ import annotations

import base64
import random
import threading
import uuid


class IdSource:
    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def _bytes(self, n: int) -> bytes:
        with self._lock:
            return self._random.randbytes(n)

    def item_id(self, kind: bytes) -> str:
        # Graph REST ids are URL-safe base64 ending in '=' (46 bytes → one pad char); callers must
        # percent-encode them in paths, as with the real service.
        return base64.urlsafe_b64encode(b"\x00\x00" + kind + self._bytes(44 - len(kind))).decode()

    def event_id(self) -> str:
        return self.item_id(b"evt")

    def message_id(self) -> str:
        return self.item_id(b"msg")

    def token(self) -> str:
        return "emu." + base64.urlsafe_b64encode(self._bytes(32)).decode().rstrip("=")

    def uuid(self) -> str:
        return str(uuid.UUID(bytes=self._bytes(16), version=4))

    def change_key(self) -> str:
        return base64.b64encode(self._bytes(12)).decode()

    def internet_message_id(self) -> str:
        # Exchange Online's form: <random@HOSTNAME.eurprd0N.prod.outlook.com>
        token = base64.b32encode(self._bytes(15)).decode()
        return f"<{token}@EMULATOR.eurprd01.prod.outlook.com>"

    def join_url(self) -> str:
        meeting = base64.b32encode(self._bytes(20)).decode().lower().rstrip("=")
        return f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{meeting}%40thread.v2/0"

    def fraction(self) -> float:
        with self._lock:
            return self._random.random()
