"""`rollout simulate`: the whole programme in simulated time, through the real flows, against a Graph emulator."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rollout import settings
from rollout.cli.common import ConfigOption, console
from rollout.errors import InputError

if TYPE_CHECKING:  # the simulation imports Prefect: loaded only when a simulation runs, not for `rollout --help`
    from rollout_lab.simulation import Result
    from rollout_lab.simulation.world import CheckinPage, World


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(option, [f"{text!r} is not a date (YYYY-MM-DD)"]) from None


class _OnlyWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith("prefect")


@contextmanager
def quiet_prefect_console() -> Iterator[None]:
    """Flow and task runs log every step at INFO to the console: hundreds of runs would bury the timeline.
    Meanwhile only Prefect's warnings and errors reach the console (what is sent to the Prefect API is unchanged).
    A filter, not a level: Prefect resets handler levels when its settings change."""
    import prefect.main  # noqa: F401  (importing it sets up Prefect's logging, console handler included)

    only_warnings = _OnlyWarnings()
    handlers = [h for h in logging.getLogger().handlers if type(h).__name__ == "PrefectConsoleHandler"]
    for handler in handlers:
        handler.addFilter(only_warnings)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(only_warnings)


def run_simulation(
    config_path: Path,
    directory: Path,
    first: dt.date | None = None,
    last: dt.date | None = None,
    seed: int = 1,
    every_day: bool = False,
    on_ready: Callable[[World], None] | None = None,
    checkin: CheckinPage | None = None,
) -> Result:
    """Run it, printing the timeline as it goes and the totals at the end."""
    from rollout_lab.simulation import Options, simulate
    from rollout_lab.simulation.report import render_totals

    options = Options(config_path, directory, first=first, last=last, seed=seed, every_day=every_day, checkin=checkin)

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    with quiet_prefect_console():
        result = simulate(options, say=say, on_ready=on_ready)
    say("")
    say(f"Totals (simulated {result.window.days} days in {result.seconds:.1f} s)")
    for line in render_totals(result.totals, result.programme):
        say(f"  {line}")
    return result


def simulate_cmd(
    from_: Annotated[
        str | None, typer.Option("--from", help="First simulated day (default: the first wave's launch).")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last simulated day (default: 60 days after the last wave ends).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Partners' behaviour: the same seed, the same programme.")] = 1,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Where the simulation keeps its database, mailboxes and digest previews "
            "(default: $ROLLOUT_DATA_DIR/simulation; recreated each run).",
        ),
    ] = None,
    every_day: Annotated[
        bool,
        typer.Option("--every-day", help="Run the reconcile every day, even on days with nothing due (slower)."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run the whole programme in simulated time: the real launch, reconcile and digest flows against a Graph
    emulator, with synthetic partners replying, doing (or not doing) their actions and moving their hubs on.
    Exits 1 if any message was lost or delivered twice."""
    from rollout_lab.simulation.world import default_directory

    result = run_simulation(
        config or settings.config_path(),
        data_dir or default_directory(),
        parse_day(from_, "--from"),
        parse_day(to, "--to"),
        seed,
        every_day,
    )
    if not result.ok:
        raise typer.Exit(1)
