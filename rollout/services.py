"""The composition root: `build_services(settings)` makes everything a run needs, once, and hands it on.

Flows build their services at the start of each flow run and pass them to their tasks; the CLI builds them per
command; the check-in page and the simulation build them once and keep them. Nothing here is process-wide: whoever
builds a `Services` closes it (the database engine, the gateway's HTTP session).

    settings   Settings read from the environment once
    programme  the validated programme file
    sessions   a sessionmaker on the application database
    gateway    the Microsoft 365 gateway, built on first use (O365/msal load only where mail is sent)
    clock      the run's "now": a fixed `as_of`, or real time
    render     the email renderer (templates shipped in rollout.templates)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme, load_programme
from rollout.db.session import make_engine, session_factory
from rollout.db.types import utcnow
from rollout.outbound.emails import RenderedEmail, render
from rollout.outbound.gateway import Gateway
from rollout.settings import Settings

Clock = Callable[[], dt.datetime]
Renderer = Callable[..., RenderedEmail]  # render(template name, **context)


class _Resources:
    """What a Services owns and must close, shared by its copies (`Services.at`)."""

    def __init__(self, engine: Engine | None, make_gateway: Callable[[], Gateway]) -> None:
        self.engine = engine
        self._make_gateway = make_gateway
        self._gateway: Gateway | None = None
        self._lock = threading.Lock()

    def gateway(self) -> Gateway:
        with self._lock:  # the deliverer's worker threads may ask at once: one gateway, one token
            if self._gateway is None:
                self._gateway = self._make_gateway()
            return self._gateway

    def close(self) -> None:
        with self._lock:
            gateway, self._gateway = self._gateway, None
        if gateway is not None:
            gateway.close()
        if self.engine is not None:
            self.engine.dispose()


@dataclass(frozen=True)
class Services:
    settings: Settings
    programme: Programme
    sessions: sessionmaker[Session]
    clock: Clock
    render: Renderer
    _resources: _Resources = dataclasses.field(repr=False, compare=False)

    @property
    def gateway(self) -> Gateway:
        return self._resources.gateway()

    def now(self) -> dt.datetime:
        return self.clock()

    def at(self, as_of: dt.datetime | None) -> Services:
        """The same services with the clock stopped at `as_of` (unchanged for None); they share what they hold."""
        if as_of is None:
            return self
        fixed = as_of.astimezone(dt.UTC)
        return dataclasses.replace(self, clock=lambda: fixed)

    def close(self) -> None:
        """Dispose of the database engine and close the gateway's connection (if one was made)."""
        self._resources.close()


def build_services(
    settings: Settings,
    *,
    as_of: dt.datetime | None = None,
    programme: Programme | None = None,
    sessions: sessionmaker[Session] | None = None,
    gateway: Gateway | None = None,
    clock: Clock | None = None,
) -> Services:
    """Everything a run needs, from `settings`. The keyword arguments replace one part (a test's recording
    gateway, a simulation's clock); `as_of` stops the clock at that moment."""
    programme = programme or load_programme(settings.config_path)
    engine = None
    if sessions is None:
        engine = make_engine(settings.database_url)
        sessions = session_factory(engine)
    loaded = programme

    def make_gateway() -> Gateway:
        return gateway if gateway is not None else m365_gateway(settings, loaded)

    services = Services(
        settings=settings,
        programme=programme,
        sessions=sessions,
        clock=clock or utcnow,
        render=render,
        _resources=_Resources(engine, make_gateway),
    )
    return services.at(as_of)


def m365_gateway(settings: Settings, programme: Programme) -> Gateway:
    """The Microsoft 365 gateway from the ROLLOUT_* settings; the programme's organiser is the fallback mailbox."""
    from rollout.m365.gateway import O365Gateway  # imported here: O365/msal load only where mail is sent
    from rollout.m365.settings import GatewaySettings
    from rollout.privacy.notice import require_privacy_notice

    require_privacy_notice(programme, settings.environ)  # every partner email links to it: a real tenant needs one
    fallback = programme.programme.organiser_mailbox
    return O365Gateway(GatewaySettings.from_env(organiser_fallback=fallback, env=settings.environ))


# A flow run builds its own services from its parameters and the environment, unless whoever runs it in-process (the
# simulation, a test) provides theirs for the block: a flow's public parameters stay plain JSON for deployments.
_provided: ContextVar[Services | None] = ContextVar("rollout_provided_services", default=None)


@contextmanager
def provided(services: Services) -> Iterator[Services]:
    """Flow runs started in this block (in this thread or context) use `services` instead of building their own;
    they leave them open: closing stays with the caller."""
    token = _provided.set(services)
    try:
        yield services
    finally:
        _provided.reset(token)


def provided_services() -> Services | None:
    """The services a caller provided for the runs of this block, if any (a command checks with the same gateway)."""
    return _provided.get()


@contextmanager
def services_for_run(config_path: str | None = None, as_of: dt.datetime | None = None) -> Iterator[Services]:
    """A flow run's services: the provided ones (at `as_of`), or built from the environment and closed at the end."""
    given = _provided.get()
    if given is not None:
        yield given.at(as_of)
        return
    services = build_services(Settings.from_env(config_path=config_path), as_of=as_of)
    try:
        yield services
    finally:
        services.close()
