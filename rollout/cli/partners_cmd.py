"""`rollout partners import FILE.csv` and `rollout partners list`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rollout.cli.common import ConfigOption, check_lcp, console, database, new_table, services
from rollout.db.session import unit_of_work
from rollout.errors import NotFoundError
from rollout.files import write_private
from rollout.partners.csv_rows import COLUMN_HELP, read_partner_csv
from rollout.partners.importer import import_partners
from rollout.partners.query import active_partner_contacts
from rollout.privacy.export import export_contact, summary_markdown
from rollout.privacy.forget import forget
from rollout.privacy.store import find_contact

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
    run = services(config)
    loaded = run.programme
    rows = read_partner_csv(file, loaded)
    sessions = database(run)
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
    run = services(config)
    loaded = run.programme
    check_lcp(loaded, lcp)
    sessions = database(run)
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


@app.command("forget")
def forget_cmd(
    email: Annotated[str, typer.Argument(help="The contact's email address.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be erased; change nothing.")] = False,
) -> None:
    """Erase one contact (an erasure request): anonymised in every table, pending emails cancelled, check-in links
    revoked, local mail copies under the data directory removed. Counts stay; only the fact and time are recorded."""
    run = services(None)
    sessions = database(run)
    report = forget(sessions, email, run.now(), run.settings.data_dir, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    console.print(
        f"{verb}: {report.values_replaced} values anonymised, {report.pending_cancelled} pending messages cancelled, "
        f"{report.emails_blanked} delivered emails blanked, {len(report.files_removed)} local files"
        f"{' removed' if not dry_run else ''}"
    )


@app.command("export")
def export_cmd(
    email: Annotated[str, typer.Argument(help="The contact's email address.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write JSON here (and a .md summary beside it); default: print JSON.")
    ] = None,
) -> None:
    """Everything held about one contact (a subject access request), as JSON and a readable summary."""
    sessions = database(services(None))
    with sessions() as session:
        contact = find_contact(session, email)
        if contact is None:
            raise NotFoundError("export", [f"no contact with the address {email!r}"])
        data = export_contact(session, contact)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if out is None:
        print(text)
        return
    write_private(out, text + "\n")  # an access-request export is personal data: 0600
    write_private(out.with_suffix(".md"), summary_markdown(data))
    console.print(f"wrote {out} and {out.with_suffix('.md')}")
