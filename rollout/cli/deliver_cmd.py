"""`rollout deliver`: drain the outbox now, through the Microsoft 365 gateway (ops use it after an outage).

Exit status (a message that could not be delivered is not an input error, so it does not share exit 2):
  0  the run completed and nothing failed permanently (rows may remain to retry later, or waiting for the
     event they belong to; the summary says how many);
  1  the run completed but some messages failed permanently (listed on stderr; `rollout status` counts them);
  2  bad input: the configuration or the ROLLOUT_* gateway settings;
  3  the application database is unreachable (nothing is sent), or became unavailable and the run stopped:
     whatever was sent before is recorded, or is recognised by the next run (every send is idempotent), so run
     it again once the database is back;
  4  another deliverer holds the outbox lease and is delivering now: nothing to do;
  5  Microsoft 365 refused the app itself (an expired client secret, no access to the organiser mailbox,
     throttling beyond the run's patience): the run stopped at once, nothing was failed or lost, every unsent
     message waits in the outbox; the message says what to fix, then run it again.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from rollout.cli.common import ConfigOption, console, database, engine_of, err_console
from rollout.cli.common import services as command_services
from rollout.errors import EXIT_DATABASE, EXIT_FAILED, EXIT_LEASE_HELD, EXIT_SYSTEMIC
from rollout.limits import MAX_ROW_ID

if TYPE_CHECKING:
    from rollout.outbound.delivery import DeliveryReport

PROGRESS_EVERY = 25


def deliver(
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, max=MAX_ROW_ID, help="Handle at most N rows, then stop (default: all that are due)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Deliver every due outbox row now (each exactly once). Exit 0: nothing failed permanently; 1: some did;
    3: the database became unavailable (run it again); 4: another deliverer is running; 5: Microsoft 365 refused
    the app (fix what the message says; nothing was lost)."""
    services = command_services(config)  # closed when the command ends (the engine, the gateway if one was made)
    gateway = services.gateway  # incomplete ROLLOUT_* settings are refused here, before the database is made
    engine = engine_of(services)
    try:
        database(services)
    except DBAPIError as exc:
        _error(f"the application database is unavailable ({_shown_url(engine)}): {_reason(exc)}")
        _error("nothing was sent: run `rollout deliver` again once the database is back")
        sys.exit(EXIT_DATABASE)
    from rollout.outbound.delivery import Deliverer, DeliveryHalted, DeliveryReport, LeaseHeld  # not for --help

    deliverer = Deliverer(services.sessions, gateway, clock=services.clock)
    progress = DeliveryReport()  # the run's own report, as far as it got

    def on_progress(report: DeliveryReport, total: int) -> None:
        nonlocal progress
        progress = report
        done = report.handled + report.retry_later
        if done % PROGRESS_EVERY == 0:
            err_console.print(f"outbox: {done} of {total} due: {report.summary()}", highlight=False)

    try:
        report = deliverer.run(limit=limit, on_progress=on_progress)
    except LeaseHeld as exc:
        _error(f"{exc}; it delivers what is queued: nothing to do here")
        sys.exit(EXIT_LEASE_HELD)
    except DeliveryHalted as exc:
        _error(exc.render())
        sys.exit(EXIT_SYSTEMIC)
    except DBAPIError as exc:
        url = _shown_url(engine)
        _error(f"the application database became unavailable during delivery ({url}): {_reason(exc)}")
        _error(
            f"before it stopped: {progress.summary()}. What was sent is recorded, or is recognised by the next "
            "run (every send is idempotent): run `rollout deliver` again once the database is back"
        )
        sys.exit(EXIT_DATABASE)

    console.print(f"outbox delivered: {report.summary()}", highlight=False)
    for failure in report.failures:
        _error(f"not delivered: {failure}", prefix="")
    if report.failed:
        sys.exit(EXIT_FAILED)


def _shown_url(engine: Engine) -> str:
    """The URL as the person configured it (without the driver the engine adds), its password hidden."""
    url = engine.url
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def _reason(exc: DBAPIError) -> str:
    """The driver's message on one line, without SQLAlchemy's SQL and parameters."""
    return " ".join(str(exc.orig or exc).split())


def _error(message: str, prefix: str = "error: ") -> None:
    # Plain print, not rich: driver and Graph messages may contain [brackets] that rich would take for markup.
    print(f"{prefix}{message}", file=sys.stderr, flush=True)
