"""How an emulator instance is set up. Plain data; nothing starts until GraphEmulator.start()."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: the OS picks a free port; read the real one from GraphEmulator.base_url
    tls: bool = True  # msal refuses a non-https authority, so TLS is the normal mode
    token_lifetime_s: float = 3600.0
    send_pace_per_minute: int = 30  # Exchange Online's per-mailbox message rate
    max_concurrency: int = 4  # Outlook's concurrent requests per app
    data_dir: Path | None = None  # when set, delivered items are also written as .eml files
    # data_dir/mailboxes/index.json after every item (True), or only on flush_mailbox_index() and stop(): a
    # simulation delivering thousands of items would otherwise rewrite a growing index thousands of times.
    index_each_item: bool = True
    seed: int = 0  # ids, tokens and probabilistic faults are drawn from this
    # Exchange clears attendees' responses when the organiser moves a meeting; they must answer again.
    reset_responses_on_reschedule: bool = True
    page_size: int = 10  # Graph's default $top for events and messages
    idle_timeout_s: float = 30.0  # a keep-alive connection idle this long is closed
