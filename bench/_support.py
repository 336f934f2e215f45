"""What the benchmarks share: an in-process emulator with Exchange's limits, gateway settings pointing at it, and
the counts taken from what the server saw and what the recipients received."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from graph_emulator import EmulatorConfig, GraphEmulator
from graph_emulator.requestlog import RequestRecord
from rollout.db.session import unit_of_work
from rollout.m365.settings import ClientCredential, GatewaySettings
from rollout.outbound.gateway import MailSpec
from rollout.outbound.outbox import Intent, enqueue, mail_payload

TENANT, CLIENT_ID, SECRET = "bench-tenant", "bench-client", "bench-secret-value-0123"
ORGANISER = "hubs@council.example"


def start_emulator(pace: int, *, token_lifetime_s: float = 3600.0, seed: int = 1) -> GraphEmulator:
    """An emulator enforcing `pace` sends per 60 s per mailbox and 4 concurrent requests per app, as Exchange
    Online does; the app may act on ORGANISER only."""
    config = EmulatorConfig(token_lifetime_s=token_lifetime_s, send_pace_per_minute=pace, max_concurrency=4, seed=seed)
    emulator = GraphEmulator(config).start()
    emulator.register_app(TENANT, CLIENT_ID, SECRET, mailboxes=[ORGANISER])
    return emulator


def gateway_settings(emulator: GraphEmulator, pace: int) -> GatewaySettings:
    return GatewaySettings(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        credential=ClientCredential(secret=SecretStr(SECRET)),
        organiser=ORGANISER,
        graph_url=emulator.graph_url,
        login_url=emulator.login_url,
        ca_bundle=str(emulator.ca_bundle),
        send_pace_per_minute=pace,
    )


def recipient(n: int, domain: str = "bench.example") -> str:
    """Every benchmark message goes to its own address, so the recipients' mailboxes count it."""
    return f"resident{n}@{domain}"


def queue_mails(sessions: sessionmaker[Session], messages: int, message: Callable[[int], MailSpec]) -> None:
    """`messages` mail intents in the outbox, one transaction: message(n) to recipient(n), keyed bench/n."""
    intents = [
        Intent(f"bench/{n}", "mail", "bench", mail_payload(message(n)), recipients=(recipient(n),))
        for n in range(messages)
    ]
    with unit_of_work(sessions) as session:
        enqueue(session, intents)


@dataclass(frozen=True)
class ServerView:
    """What the emulator saw and what the recipients received."""

    graph: list[RequestRecord]
    sends: list[float]  # when each accepted send arrived (time.time())
    throttled: int  # 429 responses
    faults: Counter[str]
    delivered: int  # expected recipients with at least one message
    duplicates: int
    lost: int

    @classmethod
    def of(cls, emulator: GraphEmulator, messages: int, domain: str = "bench.example") -> ServerView:
        graph = [r for r in emulator.requests if r.path.startswith("/v1.0/")]
        received = {address: len(items) for address, items in emulator.mailboxes().items()}
        expected = {recipient(n, domain) for n in range(messages)}
        return cls(
            graph=graph,
            sends=sorted(r.started for r in graph if r.is_send),
            throttled=sum(1 for r in graph if r.status == 429),
            faults=Counter(r.fault for r in graph if r.fault),
            delivered=len(expected & set(received)),
            duplicates=sum(count - 1 for count in received.values() if count > 1),
            lost=len(expected - set(received)),
        )
