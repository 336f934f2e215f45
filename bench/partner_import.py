"""`rollout partners import` of a large CSV against a raw baseline measured in the same run.

    PYTHONPATH=. .venv/bin/python bench/partner_import.py                       # 50,000 rows, SQLite
    PYTHONPATH=. .venv/bin/python bench/partner_import.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/test                # creates and drops rollout_bench_*

The same generated CSV (organisations of five contacts each across the Leeds LCPs, a quarter of them hubs) goes
through three runs, each in its own process on its own freshly migrated database:
- **baseline**: parse the file with `csv` and bulk-insert the same organisations and contacts with SQLAlchemy Core
  (executemany), no checks, no hubs;
- **import**: the real command, `rollout partners import FILE` (every row checked first, one transaction, hubs and
  their stage history), timed around the command inside the process (interpreter start-up excluded);
- **re-import**: the same command again on that database (nothing changes), and an **update** run with every
  contact renamed.
Each child reports its own peak RSS. Exit status 1 when the import takes more than `--max-ratio` (3) times the
baseline or any child's peak RSS exceeds `--max-rss-mb` (200).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "waves.toml"
HEADER = ("organisation", "lcp", "sector", "roles", "contact_name", "email", "hub_stage")


def write_csv(path: Path, rows: int, seed: int = 3, renamed: bool = False) -> None:
    from rollout.config import load_programme

    programme = load_programme(CONFIG)
    lcps, sectors, roles = [lcp.id for lcp in programme.lcps], programme.sector_ids, programme.role_ids
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            org = n // 5
            org_rng = random.Random(seed * 1_000_003 + org)  # the same answers for every row of one organisation
            stage = org_rng.choice(["", "", "interested", "1", "2", "3", "4", ""])
            picked = ";".join(sorted(org_rng.sample(roles, org_rng.randint(1, 3))))
            name = f"Contact {n}{' renamed' if renamed else ''} {rng.choice('ABCDEFGH')}"
            writer.writerow(
                (
                    f"Organisation {org}",
                    lcps[org % len(lcps)],
                    org_rng.choice(sectors),
                    picked,
                    name,
                    f"contact{n}@org{org}.example.org",
                    stage,
                )
            )


# -- children: each prints one JSON line {"seconds": ..., "rss_mb": ...} ------------------------------------------


def _child_baseline(file: str, url: str) -> dict[str, float]:
    from sqlalchemy import insert

    from rollout.db import models
    from rollout.db.session import make_engine
    from rollout.db.types import utcnow

    engine = make_engine(url)
    started = time.perf_counter()
    with open(file, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = list(reader)
    now = utcnow()
    lcps = sorted({r[1] for r in rows})
    orgs: dict[tuple[str, str], dict[str, object]] = {}
    for r in rows:
        orgs.setdefault(
            (r[1], r[0]),
            {
                "lcp_id": r[1],
                "name": r[0],
                "sector": r[2],
                "roles": r[3].split(";"),
                "hub_interest": r[6] == "interested",
                "created_at": now,
                "updated_at": now,
            },
        )
    with engine.begin() as connection:
        connection.execute(
            insert(models.Lcp), [{"id": i, "name": i, "lead_name": i, "lead_email": f"{i}@x.example"} for i in lcps]
        )
        ids = connection.execute(
            insert(models.Organisation.__table__).returning(  # type: ignore[arg-type]
                models.Organisation.id, sort_by_parameter_order=True
            ),
            list(orgs.values()),
        ).scalars()
        org_id = dict(zip(orgs, ids, strict=True))
        connection.execute(
            insert(models.Contact.__table__),  # type: ignore[arg-type]
            [
                {
                    "organisation_id": org_id[(r[1], r[0])],
                    "name": r[4],
                    "email": r[5].lower(),
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in rows
            ],
        )
    return {"seconds": time.perf_counter() - started}


def _child_import(file: str, url: str) -> dict[str, float]:
    os.environ["ROLLOUT_DATABASE_URL"] = url
    os.environ["ROLLOUT_CONFIG"] = str(CONFIG)
    from rollout.cli.common import command_scope
    from rollout.cli.main import cli

    started = time.perf_counter()
    try:
        with command_scope():  # what `rollout` does around every command (its services are closed at the end)
            cli(["partners", "import", file], standalone_mode=False)
    finally:
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "prefect": float("prefect" in sys.modules)}


def child(kind: str, file: str, url: str) -> None:
    result = _child_baseline(file, url) if kind == "baseline" else _child_import(file, url)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print("RESULT " + json.dumps(result))


def run_child(kind: str, file: Path, url: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(file), url],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{kind} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))  # type: ignore[no-any-return]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--database-url", help="SQLite file URL or a PostgreSQL server URL (default: SQLite in a temp dir)."
    )
    parser.add_argument("--max-ratio", type=float, default=3.0)
    parser.add_argument("--max-rss-mb", type=float, default=200.0)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    from bench.reconcile_scale import Databases

    databases = Databases(args.database_url)
    with tempfile.TemporaryDirectory(prefix="rollout-import-") as tmp:
        file, renamed = Path(tmp) / "partners.csv", Path(tmp) / "partners-renamed.csv"
        write_csv(file, args.rows)
        write_csv(renamed, args.rows, renamed=True)
        try:
            base_engine, import_engine = databases.fresh("baseline"), databases.fresh("import")
            base_url, import_url = (e.url.render_as_string(hide_password=False) for e in (base_engine, import_engine))
            base_engine.dispose()
            import_engine.dispose()
            results = {
                "baseline": run_child("baseline", file, base_url),
                "import": run_child("import", file, import_url),
                "re-import": run_child("import", file, import_url),
                "update": run_child("import", renamed, import_url),
            }
        finally:
            databases.close()
    ratio = results["import"]["seconds"] / results["baseline"]["seconds"]
    print(f"partner import of {args.rows:,} rows on {databases.kind}")
    print("| run | seconds | rows/s | ratio to baseline | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for kind, r in results.items():
        rate = args.rows / r["seconds"]
        print(
            f"| {kind} | {r['seconds']:.2f} | {rate:,.0f} | {r['seconds'] / results['baseline']['seconds']:.2f} "
            f"| {r['rss_mb']:.0f} |"
        )
    problems = []
    if ratio > args.max_ratio:
        problems.append(f"import took {ratio:.2f}x the baseline (target at most {args.max_ratio:g}x)")
    worst = max(r["rss_mb"] for r in results.values())
    if worst > args.max_rss_mb:
        problems.append(f"peak RSS {worst:.0f} MB (target under {args.max_rss_mb:g} MB)")
    if any(r.get("prefect") for r in results.values()):
        problems.append("the import loaded prefect")
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"ratio {ratio:.2f} (target <= {args.max_ratio:g}); peak RSS {worst:.0f} MB (target < {args.max_rss_mb:g})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
