"""Errors a person can act on: each names the file and the key or row at fault."""

from __future__ import annotations

from collections.abc import Sequence


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
