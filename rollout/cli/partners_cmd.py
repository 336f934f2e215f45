"""`rollout partners import FILE.csv` and `rollout partners list`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rollout.cli.common import ConfigOption, check_lcp, console, database, new_table, programme
from rollout.db.session import unit_of_work
from rollout.partners.csv_rows import COLUMN_HELP, read_partner_csv
from rollout.partners.importer import import_partners
from rollout.partners.query import active_partner_contacts

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help=f"CSV with one row per contact. Columns: {COLUMN_HELP}.")],
    remove_missing: Annotated[
        bool, typer.Option("--remove-missing", help="Deactivate contacts that are not in this file.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Import partners: all rows are checked first; any bad row and nothing is imported. Re-importing is safe."""
    loaded = programme(config)
    rows = read_partner_csv(file, loaded)
    _, sessions = database()
    with unit_of_work(sessions) as session:
        report = import_partners(session, loaded, rows, source=file.name, remove_missing=remove_missing)
    if not report.changed:
        console.print(f"{file}: {len(rows)} rows, nothing changed")
        return
    console.print(
        f"{file}: {len(rows)} rows: organisations +{report.organisations_created} ~{report.organisations_updated}, "
        f"contacts +{report.contacts_created} ~{report.contacts_updated} -{report.contacts_deactivated}, "
        f"hubs +{report.hubs_created}, stage changes {report.hub_stages_changed}, unchanged rows "
        f"{report.unchanged_rows}"
    )


@app.command("list")
def list_cmd(
    lcp: Annotated[str | None, typer.Option("--lcp", help="Only this LCP (id).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
    config: ConfigOption = None,
) -> None:
    """List active partner contacts with their organisation, sector, roles and hub status."""
    loaded = programme(config)
    check_lcp(loaded, lcp)
    _, sessions = database()
    with sessions() as session:
        partners = active_partner_contacts(session, [lcp] if lcp else None)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "organisation": p.organisation,
                        "lcp": p.lcp_id,
                        "sector": p.sector,
                        "roles": sorted(p.roles),
                        "contact_name": p.name,
                        "email": p.email,
                        "hub": p.hub_status,
                        "hub_stage": p.hub_stage,
                    }
                    for p in partners
                ],
                indent=2,
            )
        )
        return
    table = new_table(
        f"Partners{f' in {lcp}' if lcp else ''}: {len(partners)} contacts",
        *("LCP", "Organisation", "Sector", "Roles", "Contact", "Email", "Hub"),
    )
    for p in sorted(partners, key=lambda p: (p.lcp_id, p.organisation, p.email)):
        hub = f"stage {p.hub_stage}" if p.hub_stage else p.hub_status
        table.add_row(p.lcp_id, p.organisation, p.sector, ", ".join(sorted(p.roles)), p.name, p.email, hub)
    console.print(table)
