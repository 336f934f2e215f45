"""Where a `rollout simulate` run's wall time went, by area, from a py-spy profile of its main thread.

    python3.11 -m venv /tmp/tools && /tmp/tools/bin/pip install py-spy        # once, outside the project's venv
    /tmp/tools/bin/py-spy record --idle -r 50 -f raw -o sim.txt -- .venv/bin/rollout simulate --data-dir /tmp/sim
    .venv/bin/python bench/profile_breakdown.py sim.txt

`--idle` keeps the samples in which the main thread waits (for Prefect's API server, for the Graph emulator, for
the database), so the areas add up to the run's wall time. Each sample is given to one area:

- prefect: engine, artifacts, tags: Prefect's own code, called from the flows (flow and task runs, API calls);
- ours: ...: the innermost rollout, flows, tasks or rollout_lab frame's area (delivery, reconcile, digest, ...),
  with the libraries it calls (SQLAlchemy, O365, requests) counted in it;
- setup: the temporary Prefect server's start and the rest of the simulated world's set-up;
- imports: modules loaded while the simulation runs.

A sample rate of 50 a second keeps py-spy's own cost to a few per cent; figures are seconds of samples / 50.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

MAIN_THREAD = "<module> (rollout:"  # the console script's frame: the main thread (others start in threading)
OURS = re.compile(r"\((rollout|flows|tasks|rollout_lab)/")
# The first pattern found anywhere in a sample's stack names its area (order matters: delivery inside a digest
# run is delivery).
AREAS = (
    ("Deliverer|deliver_outbox", "delivery"),
    ("retention", "retention"),
    ("load_snapshot|record_changes|queue_messages|decide_", "reconcile: snapshot and decisions"),
    ("sync_rsvps", "reconcile: RSVPs"),
    ("collect_attendance", "reconcile: Teams attendance"),
    ("summary_figures|load_figures|load_attendance_rows", "attendance figures"),
    ("digest", "digest"),
    ("check_access|check_microsoft", "pre-flight"),
    ("Simulation.reconcile_due|observe", "simulation: deciding which days to run"),
    ("Simulation.behave|_refresh_queue", "simulation: partners' behaviour"),
    ("Simulation.month|emails_between|check_delivery|totals", "simulation: report"),
    ("import_sample", "simulation: partner import"),
    ("launch", "launch"),
)


def area(stack: str) -> str:
    frames = stack.split(";")
    if "simulated_world (" in stack and "Simulation." not in stack and "import_sample" not in stack:
        return "setup: Prefect server start" if "SubprocessASGIServer" in stack else "setup: world"
    if "importlib._bootstrap" in stack:
        return "imports"
    ours = [i for i, frame in enumerate(frames) if OURS.search(frame)]
    below = frames[ours[-1] + 1 :] if ours else frames
    if any("prefect/" in frame for frame in below):
        if "artifact" in stack.lower():
            return "prefect: artifacts"
        return "prefect: tags" if "tag_this_run" in stack else "prefect: engine"
    return "ours: " + next((name for pattern, name in AREAS if re.search(pattern, stack)), "other")


def breakdown(path: Path) -> Counter[str]:
    seconds: Counter[str] = Counter()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            while stack.startswith("process "):  # recorded with --subprocesses: the process comes first
                stack = stack.partition(";")[2]
            if stack.startswith(MAIN_THREAD) and count.isdigit():
                seconds[area(stack)] += int(count)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path, help="py-spy's raw output (-f raw)")
    parser.add_argument("--rate", type=int, default=50, help="the samples a second py-spy took (-r)")
    args = parser.parse_args(argv)
    samples = breakdown(args.profile)
    total = sum(samples.values())
    if not total:
        print(f"{args.profile}: no sample of a rollout main thread", file=sys.stderr)
        return 2
    for name, count in sorted(samples.items(), key=lambda item: (-item[1], item[0])):
        print(f"{count / args.rate:7.1f} s {100 * count / total:5.1f} %  {name}")
    print(f"{total / args.rate:7.1f} s 100.0 %  main thread in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
