"""The CLI's one error boundary: every failure a person can act on becomes one line per problem and an exit status.

  2  bad input or environment: a file and its key or row, a command-line option, a setting (ROLLOUT_*)
  3  the application database is unavailable (its URL is shown without the password)
  1  anything else (a bug): one line naming the exception; `rollout --debug ...` shows the traceback

Flows run in-process log their exception (with a traceback) through Prefect's loggers before it reaches here; on the
console those records are held back (they still go to the Prefect API and the UI), so the cause is printed once.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from rollout.errors import EXIT_DATABASE, EXIT_INPUT, EXIT_SYSTEMIC, EXIT_UNEXPECTED, InputError, SystemicError

DEBUG_ENV = "ROLLOUT_DEBUG"
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def run(main: Callable[[], object]) -> None:
    """Call `main` (the typer app); turn what it raises into lines on stderr and an exit status."""
    debug_before = os.environ.get(DEBUG_ENV)  # --debug sets it for this invocation only
    quiet = _HideRunFailures()
    installer = _InstallOnConsole(quiet)
    for name in _RUN_LOGGERS:
        logging.getLogger(name).addFilter(installer)
    try:
        main()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _fail(["interrupted"], 130)
    except Exception as exc:  # the boundary: nothing escapes as a traceback unless --debug asks for it
        lines, status = describe(exc)
        if debug_enabled():
            traceback.print_exc()
        _fail(lines, status)
    finally:
        for name in _RUN_LOGGERS:
            logging.getLogger(name).removeFilter(installer)
        for handler in _console_handlers():
            handler.removeFilter(quiet)
        if debug_before is None:
            os.environ.pop(DEBUG_ENV, None)


def describe(exc: BaseException) -> tuple[list[str], int]:
    """(lines to print, exit status) for an exception that reached the boundary."""
    from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, InterfaceError, NoSuchModuleError, OperationalError

    if isinstance(exc, InputError):
        return exc.render().splitlines(), EXIT_INPUT
    if isinstance(exc, SystemicError):  # Microsoft 365 refuses the app: the cause and the fix, nothing was lost
        return [exc.render()], EXIT_SYSTEMIC
    if isinstance(exc, OperationalError | InterfaceError):
        return [f"the application database is unavailable ({database_shown()}): {_reason(exc)}"], EXIT_DATABASE
    if isinstance(exc, DataError):
        return [f"the database refused a value ({database_shown()}): {_reason(exc)}"], EXIT_INPUT
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return [f"ROLLOUT_DATABASE_URL: {_one_line(str(exc))}"], EXIT_INPUT
    if isinstance(exc, DBAPIError):
        return [f"database error ({database_shown()}): {_reason(exc)}"], EXIT_UNEXPECTED
    if isinstance(exc, OSError) and exc.filename is not None:
        return [f"{exc.filename}: {exc.strerror or exc}"], EXIT_INPUT
    hint = "" if debug_enabled() else " (run `rollout --debug ...` for the traceback)"
    return [f"unexpected {type(exc).__name__}: {_one_line(str(exc))}{hint}"], EXIT_UNEXPECTED


def database_shown() -> str:
    from sqlalchemy.engine import make_url

    from rollout import settings

    try:
        return make_url(settings.database_url()).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is shown as the setting's name only
        return "ROLLOUT_DATABASE_URL"


def _reason(exc: Exception) -> str:
    """The driver's message on one line, without SQLAlchemy's SQL and parameters."""
    return _one_line(str(getattr(exc, "orig", None) or exc))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(lines: list[str], status: int) -> NoReturn:
    for line in lines:
        print(f"error: {line}", file=sys.stderr, flush=True)
    sys.exit(status)


class _HideRunFailures(logging.Filter):
    """On the console only: drops Prefect's flow/task run records about a failure (tracebacks, 'Finished in state
    Failed'), which repeat the exception the boundary prints once. With --debug nothing is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if debug_enabled() or not record.name.startswith(_RUN_LOGGERS):
            return True
        if record.exc_info:
            return False
        message = record.getMessage()
        return not message.startswith("Finished in state Failed")


class _InstallOnConsole(logging.Filter):
    """On the run loggers (their filters survive Prefect's logging set-up, which replaces its handlers when a
    command first imports a flow): puts `hide` on the console handlers there are when a run record is logged,
    before any handler sees it. Passes every record."""

    def __init__(self, hide: logging.Filter) -> None:
        super().__init__()
        self.hide = hide

    def filter(self, record: logging.LogRecord) -> bool:
        for handler in _console_handlers():
            if self.hide not in handler.filters:
                handler.addFilter(self.hide)
        return True


def _console_handlers() -> list[logging.Handler]:
    """Handlers writing to a terminal: the root logger's and Prefect's (Prefect configures them on import)."""
    found: list[logging.Handler] = []
    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        found += [h for h in logger.handlers if isinstance(h, logging.StreamHandler) and h not in found]
    return found
