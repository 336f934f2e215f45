"""`rollout demo`: the whole Leeds programme in simulated time, on embedded defaults (no tenant, no Prefect server).

1. the programme file is checked; 2. wave 1's plan is shown (partners from config/sample_partners.csv);
3. the three waves run through the real flows against the Graph emulator, with synthetic partners;
4. where to look: the mailboxes (.eml), the weekly digests (HTML), the Prefect UI, the simulated database.
Nothing of the user's is touched: the simulation has its own database and folder ($ROLLOUT_DATA_DIR/simulation).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from rollout import settings
from rollout.cli import plan_cmd, status_cmd
from rollout.cli.common import ConfigOption, console

if TYPE_CHECKING:  # the simulation imports Prefect: loaded only when the demo runs, not for `rollout --help`
    from rollout_lab.simulation import Result
    from rollout_lab.simulation.world import CheckinPage, World


def demo(config: ConfigOption = None) -> None:
    """Check the Leeds programme, show wave 1's plan, then run all three waves in simulated time (two to three
    minutes) and say where to look. Exits 1 if any message was lost or delivered twice."""
    from rollout_lab.simulate_cmd import run_simulation
    from rollout_lab.simulation.world import CheckinPage, default_directory

    config_path = config or settings.config_path()
    directory = default_directory()
    console.rule("1. The programme file")
    plan_cmd.validate(config_path)
    console.print("Starting the simulated world: its own database, a Graph emulator, a Prefect API ...")

    def show_plan(world: World) -> None:
        console.rule("2. Wave 1's plan (synthetic partners from config/sample_partners.csv)")
        plan_cmd.plan(world.programme.waves[0].id, plan_cmd.PlanFormat.table, config_path)
        console.rule("3. The whole programme, simulated")

    # The check-in page the demo starts at its end: the simulated emails' links point at it and open it.
    page = CheckinPage.on_free_port()
    result = run_simulation(config_path, directory, on_ready=show_plan, checkin=page)
    console.rule("4. Where to look")
    where_to_look(result, config_path, page)
    if not result.ok:
        raise typer.Exit(1)


def where_to_look(result: Result, config_path: Path, page: CheckinPage | None = None) -> None:
    from rollout_lab.demo_checkin import show_checkin_link
    from rollout_lab.simulation.world import environment_variables

    directory = result.directory
    mailboxes = directory / "mailboxes"
    manager = next(iter(sorted(mailboxes.glob("programme.manager@*"))), None)
    partner = next(iter(sorted(p for p in mailboxes.glob("*@*") if ".lead@" not in p.name and p != manager)), None)
    lines = [
        f"Mailboxes: every email and invitation as its recipient received it, one .eml file each (open them in any "
        f"mail program), in {mailboxes}/<address>/; index.json lists them all.",
    ]
    if manager is not None:
        lines.append(f"  the programme manager's: {manager}")
    if partner is not None:
        lines.append(f"  a partner's: {partner}")
    if result.digest_index is not None:
        lines.append(
            f"Weekly digests: the programme's and the {preview_lcp_name(config_path)} LCP lead's, as emailed, "
            f"week by week: {result.digest_index}"
        )
    if result.prefect_ui:
        lines.append(f"Prefect: every launch, reconcile and digest run is in the UI at {result.prefect_ui}")
    else:
        lines.append(
            "Prefect: the runs went to a temporary server, gone now. To watch them in the UI: `prefect server "
            "start`, then `export PREFECT_API_URL=http://127.0.0.1:4200/api` and run the demo again."
        )
    url = f"sqlite:///{directory.resolve() / 'rollout.db'}"
    lines.append(
        f"The simulated programme's database: ROLLOUT_DATABASE_URL={url} rollout status (or hubs list, "
        "escalations list --all, actions list --all)"
    )
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.rule("rollout status (the simulated programme)")
    with environment_variables({"ROLLOUT_DATABASE_URL": url}):
        status_cmd.status(config_path)
    console.rule("5. Partners answer from the email")
    show_checkin_link(url, config_path, page)


def preview_lcp_name(config_path: Path) -> str:
    from rollout.config import load_programme
    from rollout_lab.simulation.previews import preview_lcp

    programme = load_programme(config_path)
    lcp = preview_lcp(programme)
    return next((x.name for x in programme.lcps if x.id == lcp), lcp)
