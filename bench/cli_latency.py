"""How long the read-only commands take to answer, beside the cost of starting Python and importing rollout.

    PYTHONPATH=. .venv/bin/python bench/cli_latency.py            # 5 runs of each command
    PYTHONPATH=. .venv/bin/python bench/cli_latency.py --runs 9

Every run is a fresh process (what a person typing the command waits for), against one temporary SQLite database
migrated once before timing, the shipped programme file (config/waves.toml) and a fresh PREFECT_HOME. The commands
are run round-robin, so a burst of load on the machine falls on all of them alike. Reported: the median wall time
of each command, its ratio to `python -c "import rollout"` measured in the same run, and whether it imported
Prefect, O365 or msal (checked with `python -X importtime`). Exit status 1 if any read-only command imports one of
them, or any median exceeds `--max-seconds` (default 1.0: "about a second", on a 2-core machine; every command
took at most 0.8 s there even while another job shared it).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ("import rollout", [sys.executable, "-c", "import rollout"])
COMMANDS = (
    ("rollout validate", ["validate"]),
    ("rollout plan wave-1", ["plan", "wave-1"]),
    ("rollout status", ["status"]),
    ("rollout hubs list", ["hubs", "list"]),
    ("rollout actions list", ["actions", "list"]),
)
HEAVY = ("prefect", "O365", "msal")


def rollout_command() -> list[str]:
    """The installed console script beside this Python, as a person runs it; else the module."""
    script = Path(sys.executable).with_name("rollout")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rollout.cli.main"]


def environment(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "ROLLOUT_DATA_DIR": str(tmp / "var"),
        "ROLLOUT_DATABASE_URL": f"sqlite:///{tmp / 'rollout.db'}",
        "ROLLOUT_CONFIG": str(ROOT / "config" / "waves.toml"),
        "PREFECT_HOME": str(tmp / "prefect"),
        "COLUMNS": "200",
    }
    env.pop("PREFECT_API_URL", None)
    return env


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run. CPU time (user + system) hardly changes when other work shares the
    machine, so it shows the command's own cost beside the wall time a person waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(args: list[str], env: dict[str, str]) -> list[str]:
    """Which of Prefect, O365 and msal the command imports (from `python -X importtime`)."""
    code = f"import sys; from rollout.cli.main import app; sys.argv = ['rollout', *{args!r}]; app()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    return [name for name in HEAVY if name in imported]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--max-seconds", type=float, default=1.0, help="the most any median may take (default 1.0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rollout = rollout_command()
    with tempfile.TemporaryDirectory(prefix="rollout-latency-") as name:
        tmp = Path(name)
        env = environment(tmp)
        subprocess.run([*rollout, "db", "upgrade"], env=env, capture_output=True, check=True)  # migrated once
        rows = [BASELINE, *((label, [*rollout, *cli]) for label, cli in COMMANDS)]
        times: dict[str, list[float]] = {label: [] for label, _ in rows}
        cpu: dict[str, list[float]] = {label: [] for label, _ in rows}
        for _ in range(args.runs):
            for label, command in rows:
                wall, used = timed(command, env)
                times[label].append(wall)
                cpu[label].append(used)
        heavy = {label: heavy_imports(cli, env) for label, cli in COMMANDS}
    base = statistics.median(times[BASELINE[0]])
    print(f"read-only commands, median of {args.runs} runs each (fresh process per run)")
    print("| command | median s | min s | ratio to import rollout | median CPU s | imports Prefect/O365/msal |")
    print("|---|---:|---:|---:|---:|---|")
    problems = []
    for label, _ in rows:
        median = statistics.median(times[label])
        loaded = heavy.get(label)
        shown = "-" if loaded is None else (", ".join(loaded) or "no")
        used = statistics.median(cpu[label])
        print(f"| {label} | {median:.2f} | {min(times[label]):.2f} | {median / base:.1f} | {used:.2f} | {shown} |")
        if loaded:
            problems.append(f"{label} imports {', '.join(loaded)}")
        if loaded is not None and median > args.max_seconds:
            problems.append(f"{label} took {median:.2f} s (target at most {args.max_seconds:g} s)")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
