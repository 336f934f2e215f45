"""The whole Leeds programme in simulated time, against Prefect's own floor for the same flow runs.

Runs `rollout simulate` (the real flows against the Graph emulator and a temporary Prefect server) --runs times,
each in its own process, in one temporary data directory: the first run starts the temporary Prefect server on a
new database (it migrates it); later runs start from the migrated copy the first one kept, as a second
`rollout simulate` does. The Prefect floor: a temporary Prefect server started the same way (from a copy of that
migrated database, with the same settings), and as many flow runs as the simulation made with nothing in them but
--tasks no-op tasks each. The floor is timed from the server's start to the last run's end, as the simulation is
timed from its start (server start included) to its totals: what Prefect alone needs for the simulation's flow
runs, before any of the rollout's own work. Absolute times differ between machines by more than 2x; the ratio of
the two, measured in one run, does not. A shared machine's speed drifts by 10-20 % within minutes, so the floor is
measured twice, after the first simulation and after the last, and the ratio uses their mean.

Two further floors say how much of the gap the rollout could ever close: the same flow runs shaped as the rollout's
(their tasks, artifacts, run names and tags, with no work in them), and the simulation's outbox delivered alone
(as many mails as it sent, through the Deliverer and the real O365 gateway to an emulator in this process,
bench/delivery_cost.py). Their sum, the required floor, is what the flows' Prefect features and the exactly-once
delivery cost before any reconcile, digest or partner is simulated.

Usage:
    .venv/bin/python bench/simulation_wall.py                 # two simulations (cold, warm), then the floor
    .venv/bin/python bench/simulation_wall.py --runs 1 --max-ratio 1.5
    .venv/bin/python bench/simulation_wall.py --rollout ../before/.venv/bin/rollout   # another revision, same floor

Exit status 1 if the warm simulation (the last one) took more than --max-ratio times the floor, if the runs did
not all make the same flow runs with the same totals, or if any delivery was lost or duplicated.
Figures and how to read them: docs/performance.md, "Simulation".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from delivery_cost import one_round as delivery_round
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.run_tags import tag_this_run
from rollout.reconcile.run import STEPS
from rollout_lab.simulate_cmd import quiet_prefect_console
from rollout_lab.simulation.world import PREFECT_TEMPLATE, long_run_collector, prefect_api

ROOT = Path(__file__).resolve().parents[1]
ROLLOUT = Path(sys.executable).with_name("rollout")


@task
def _nothing(n: int) -> int:
    return n


@flow(name="prefect-floor")
def _empty_run(tasks: int) -> dict[str, object]:
    for n in range(tasks):
        _nothing(n)
    return {}


# The rollout's flows as Prefect sees them, with no work in them: (tasks, artifacts) per run of each kind, each run
# named by a function and tagged from inside (as flows/run_tags.py does). reconcile: pre-flight, the STEPS,
# the summary; weekly-digest: pre-flight, figures, snapshot, artifact, queue, delivery; launch-wave (approval off):
# pre-flight, plan, its artifact, queue, delivery, outcome, its artifact, and pre-flight again.
SHAPES = {"reconcile": (len(STEPS) + 2, 1), "weekly-digest": (6, 1), "launch-wave": (8, 2)}


def _shaped_name() -> str:
    return f"floor · {dt.datetime.now(dt.UTC):%Y-%m-%d}"


@flow(name="prefect-floor-shaped", flow_run_name=_shaped_name)
def _shaped_run(tasks: int, artifacts: int) -> dict[str, object]:
    tag_this_run("floor", "wave:floor")
    for n in range(tasks):
        _nothing(n)
    for n in range(artifacts):
        create_markdown_artifact(key=f"floor-{n}", markdown="# floor", description="no work")
    return {}


@dataclass(frozen=True)
class Floor:
    runs: int
    tasks_per_run: int
    seconds: float

    @property
    def ms_per_run(self) -> float:
        return 1000 * self.seconds / self.runs


@dataclass(frozen=True)
class Simulated:
    wall: float  # the whole command, process start to exit
    simulated: float  # what the command reports (start of the simulation to its totals)
    days: int
    flow_runs: int
    runs_line: str
    by_kind: dict[str, int]  # flow runs of each flow
    totals: str  # the command's totals, minus its timings: the same seed must give the same lines
    sent: int  # outbox rows sent
    duplicates: int
    lost: int
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.duplicates == 0 and self.lost == 0


def run_simulation(config: Path, seed: int, data_dir: Path, rollout: Path = ROLLOUT) -> Simulated:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "ROLLOUT_DATABASE_URL"))}
    command = [str(rollout), "simulate", "--config", str(config), "--seed", str(seed), "--data-dir", str(data_dir)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    out = done.stdout

    def number(pattern: str) -> str:
        found = re.search(pattern, out)
        if found is None:
            raise SystemExit(
                f"rollout simulate exited {done.returncode} without {pattern!r}:\n{out[-1500:]}{done.stderr[-1500:]}"
            )
        return found.group(1)

    runs_line = number(r"flow runs: ([^\n]+)")
    return Simulated(
        wall=wall,
        simulated=float(number(r"simulated \d+ days in ([\d.]+) s")),
        days=int(number(r"simulated (\d+) days")),
        flow_runs=sum(int(n) for n in re.findall(r"(\d+) (?:launch-wave|reconcile|weekly-digest)", runs_line)),
        runs_line=runs_line,
        by_kind={kind: int(n) for n, kind in re.findall(r"(\d+) (launch-wave|reconcile|weekly-digest)", runs_line)},
        totals=re.sub(r"Totals \(simulated \d+ days in [\d.]+ s\)", "", out[out.find("Totals (") :]),
        sent=int(number(r"outbox: [^\n]*sent ([\d,]+)").replace(",", "")),
        duplicates=int(number(r"duplicates: (\d+)")),
        lost=int(number(r"lost: (\d+)")),
        exit_code=done.returncode,
    )


def prefect_floor(directory: Path, template_from: Path, runs: int, tasks: int) -> Floor:
    """`runs` flow runs of `tasks` no-op tasks on a temporary server set up as the simulation's is."""
    return _timed_floor(directory, template_from, [(runs, tasks, None)])


def shaped_floor(directory: Path, template_from: Path, by_kind: dict[str, int]) -> Floor:
    """The simulation's flow runs shaped as the rollout's are (SHAPES: tasks, artifacts, a run name, tags) with no
    work in them, on a server started as prefect_floor's: what the flows' Prefect features cost on their own."""
    return _timed_floor(directory, template_from, [(n, *SHAPES[kind]) for kind, n in by_kind.items()])


def _timed_floor(directory: Path, template_from: Path, batches: list[tuple[int, int, int | None]]) -> Floor:
    """Runs (count, tasks, artifacts: None for the plain no-op flow) on a temporary server started from a copy of
    the migrated database the simulations kept (a warm start), under the simulation's collector settings, timed
    from the server's start."""
    directory.mkdir(parents=True)
    for template in template_from.glob(PREFECT_TEMPLATE.format(version="*")):
        shutil.copyfile(template, directory / template.name)
    runs = sum(count for count, _, _ in batches)
    mean_tasks = round(sum(count * tasks for count, tasks, _ in batches) / runs)
    with quiet_prefect_console():
        started = time.perf_counter()
        with prefect_api(directory), long_run_collector():  # as the simulation's runs are
            for count, tasks, artifacts in batches:
                for _ in range(count):
                    if artifacts is None:
                        _empty_run(tasks)
                    else:
                        _shaped_run(tasks, artifacts)
            return Floor(runs, mean_tasks, time.perf_counter() - started)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "waves.toml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2, help="simulations in a row (the first starts Prefect cold)")
    parser.add_argument(
        "--rollout",
        type=Path,
        default=ROLLOUT,
        help="the rollout command to simulate with (another checkout's .venv/bin/rollout: before and after)",
    )
    parser.add_argument("--tasks", type=int, default=6, help="no-op tasks in each floor flow run")
    parser.add_argument(
        "--max-ratio", type=float, default=1.5, help="the warm simulation's time over the floor's, at most"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.runs < 1 or args.tasks < 0:
        print("--runs must be at least 1 and --tasks at least 0", file=sys.stderr)
        return 2
    results: list[Simulated] = []
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as temporary:
        simulation_dir = Path(temporary) / "simulation"
        floors: list[Floor] = []

        def measure_floor() -> None:
            runs = results[0].flow_runs
            print(f"Prefect floor {len(floors) + 1}: {runs} flow runs of {args.tasks} no-op tasks ...", flush=True)
            where = Path(temporary) / f"floor-{len(floors) + 1}"
            floors.append(prefect_floor(where, simulation_dir, runs, args.tasks))

        for n in range(args.runs):
            print(f"rollout simulate, {n + 1} of {args.runs} ...", flush=True)
            results.append(run_simulation(args.config, args.seed, simulation_dir, args.rollout))
            if n == 0:
                measure_floor()
        measure_floor()
        print("Prefect floor shaped as the rollout's flows ...", flush=True)
        shaped = shaped_floor(Path(temporary) / "shaped", simulation_dir, results[0].by_kind)
        print(f"The simulation's {results[0].sent:,} outbox messages delivered alone ...", flush=True)
        delivered = delivery_round(results[0].sent)
    floor = Floor(floors[0].runs, args.tasks, sum(f.seconds for f in floors) / len(floors))
    print()
    for n, result in enumerate(results):
        start = "cold" if n == 0 else "warm"
        print(
            f"simulation {n + 1} ({start} Prefect start): {result.simulated:.1f} s for {result.days} simulated days "
            f"({result.wall:.1f} s for the whole command)"
        )
        print(f"  flow runs: {result.runs_line}")
        print(f"  duplicates {result.duplicates}, lost {result.lost}, exit status {result.exit_code}")
    print(
        f"Prefect floor: server start + {floor.runs} flow runs x {floor.tasks_per_run} no-op tasks = "
        f"{floor.seconds:.1f} s ({floor.ms_per_run:.0f} ms a run; the mean of "
        f"{' and '.join(f'{f.seconds:.1f} s' for f in floors)})"
    )
    shapes = ", ".join(f"{kind} {tasks} tasks + {artifacts} artifact(s)" for kind, (tasks, artifacts) in SHAPES.items())
    print(
        f"Prefect floor shaped as the rollout's flows (same runs; {shapes}; run names, tags): "
        f"{shaped.seconds:.1f} s ({shaped.seconds / floor.seconds:.2f}x the floor)"
    )
    delivery_s = delivered["wall_ms"] * results[0].sent / 1000
    required = shaped.seconds + delivery_s
    print(
        f"Delivery alone: {results[0].sent:,} mails through the Deliverer and the O365 gateway, pacing off: "
        f"{delivery_s:.1f} s ({delivered['wall_ms']:.1f} ms a message; {delivered['delivered']:,} delivered, "
        f"{delivered['duplicates']} duplicated, {delivered['lost']} lost)"
    )
    print(
        f"Required floor (shaped floor + delivery alone): {required:.1f} s ({required / floor.seconds:.2f}x the "
        "floor): the flows' Prefect features and delivery, before any reconcile, digest or partner"
    )
    warm = results[-1]
    ratio = warm.simulated / floor.seconds
    problems = [
        f"simulation {n + 1}: exit {r.exit_code}, {r.lost} lost, {r.duplicates} duplicated"
        for n, r in enumerate(results)
        if not r.ok
    ]
    if any(r.totals != results[0].totals for r in results):
        problems.append("the runs' totals differ for the same seed")
    if delivered["delivered"] != results[0].sent or delivered["duplicates"] or delivered["lost"]:
        problems.append("delivery alone: not every message was delivered exactly once")
    if ratio > args.max_ratio:
        problems.append(f"{ratio:.2f}x the floor > {args.max_ratio:.2f}x")
    print(
        f"simulation ({'warm' if len(results) > 1 else 'cold'}) / Prefect floor: {ratio:.2f}x "
        f"(target at most {args.max_ratio:.2f}x)"
    )
    print("simulation: " + ("; ".join(problems) if problems else "within target"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
