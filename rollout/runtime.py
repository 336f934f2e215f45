"""Process-wide handles the Prefect tasks share: one engine per database URL, one gateway per settings."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from rollout import settings
from rollout.config import Programme
from rollout.db.session import make_engine, session_factory
from rollout.outbound.gateway import Gateway

# A new gateway per task would fetch a new token per task; keep one per distinct set of settings.
_GATEWAY_VARIABLES = (
    "ROLLOUT_TENANT_ID",
    "ROLLOUT_CLIENT_ID",
    "ROLLOUT_CLIENT_SECRET",
    "ROLLOUT_CLIENT_SECRET_BLOCK",
    "ROLLOUT_CLIENT_CERT_PATH",
    "ROLLOUT_CLIENT_CERT_THUMBPRINT",
    "ROLLOUT_ORGANISER",
    "ROLLOUT_GRAPH_URL",
    "ROLLOUT_LOGIN_URL",
    "ROLLOUT_CA_BUNDLE",
    "ROLLOUT_SEND_PACE",
    "ROLLOUT_GRAPH_MAX_IN_FLIGHT",
)
_gateways: dict[tuple[str | None, ...], Gateway] = {}
_gateways_lock = threading.Lock()


def sessions() -> sessionmaker[Session]:
    return _sessions(settings.database_url())


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    return session_factory(make_engine(url))


def gateway(programme: Programme) -> Gateway:
    """The Microsoft 365 gateway from ROLLOUT_* settings; the config's organiser is the fallback mailbox."""
    from rollout.m365.gateway import O365Gateway  # imported late: O365/msal load only where mail is sent

    fallback = programme.programme.organiser_mailbox
    key = (fallback, *(os.environ.get(name) for name in _GATEWAY_VARIABLES))
    with _gateways_lock:
        if key not in _gateways:
            _gateways[key] = O365Gateway.from_env(organiser_fallback=fallback)
        return _gateways[key]


def forget() -> None:
    """Drop the cached engines and gateways: for a process that recreates its database or its Graph endpoint
    (a simulation, a test), so nothing later reuses a connection to what is gone."""
    _sessions.cache_clear()
    with _gateways_lock:
        gateways = list(_gateways.values())
        _gateways.clear()
    for gateway in gateways:
        close = getattr(gateway, "close", None)
        if callable(close):
            close()
