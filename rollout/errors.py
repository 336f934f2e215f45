"""Errors a person can act on: each names the file and the key or row at fault, or the service and the fix.

The CLI's exit statuses live here so that every command (and the CLI's error boundary) uses the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EXIT_FAILED = 1  # the run completed, but something it was asked to do did not happen (a message failed for good)
EXIT_LEASE_HELD = 4  # another deliverer holds the outbox: nothing to do
EXIT_SYSTEMIC = 5  # Microsoft 365 refuses the app itself (SystemicError): fix the cause, nothing was lost


class InputError(Exception):
    """Bad input from a file or the command line. The CLI prints it and exits 2."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(f"{self.source}: {p}" for p in self.problems)


class NotFoundError(InputError):
    """Something named on the command line does not exist."""


# Exit statuses of the `rollout` command (rollout.cli.boundary).
EXIT_UNEXPECTED = 1  # a bug: one line, and `rollout --debug` shows the traceback
EXIT_INPUT = 2  # bad input: a file and its key or row, an option, a setting
EXIT_DATABASE = 3  # the application database is unavailable


class SystemicError(Exception):
    """A service every message depends on refuses the app itself (an expired client secret, the app's access to the
    organiser mailbox removed, throttling longer than a run waits). No message is at fault and none is failed: the
    run stops and what is queued stays queued until the cause is fixed. The CLI prints `render()` and exits
    EXIT_SYSTEMIC. Subclasses keep everything in `__dict__`, so the error survives pickling (Prefect may store it)."""

    cause: str
    fix: str

    def render(self) -> str:
        return f"{self.cause}: {self.fix}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (rebuild_error, (type(self), self.args, dict(self.__dict__)))


def rebuild_error(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
