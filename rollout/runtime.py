"""Process-wide handles the Prefect tasks share: one engine per database URL, one gateway per process."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from rollout import settings
from rollout.config import Programme
from rollout.db.session import make_engine, session_factory
from rollout.m365.types import Gateway


def sessions() -> sessionmaker[Session]:
    return _sessions(settings.database_url())


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    return session_factory(make_engine(url))


def gateway(programme: Programme) -> Gateway:
    """The Microsoft 365 gateway from ROLLOUT_* settings; the config's organiser is the fallback mailbox."""
    from rollout.m365.gateway import O365Gateway  # imported late: O365/msal load only where mail is sent

    return O365Gateway.from_env(organiser_fallback=programme.programme.organiser_mailbox)
