"""`rollout attendance import | mark | list | qr`: who came to each workshop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from rollout.attendance import record
from rollout.attendance.figures import load_figures
from rollout.cli.common import ByOption, ConfigOption, JsonOption, check_wave, console, database, services, who
from rollout.db import models
from rollout.db.session import unit_of_work

app = typer.Typer(no_args_is_help=True)

WaveOption = Annotated[str, typer.Option("--wave", help="Wave id, as in config/waves.toml.")]
WorkshopOption = Annotated[int, typer.Option("--workshop", help="Workshop number within the wave.")]


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV with an `email` column (other columns are ignored).")],
    wave: WaveOption,
    workshop: WorkshopOption,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Record everyone in a venue workshop's sign-in sheet as present (re-importing changes nothing)."""
    run = services(config)
    loaded = run.programme
    check_wave(loaded, wave, "--wave")
    rows = record.read_attendance_csv(file)  # every bad row reported before anything is written
    person = who(by)
    sessions = database(run)
    with unit_of_work(sessions) as session:
        row = record.find_workshop(session, wave, workshop)
        report = record.import_attendance(session, row, rows, by=person, at=run.now())
    console.print(
        f"{file.name}: {report.rows} rows, {report.recorded} recorded as present, {report.already} already recorded, "
        f"{len(report.unknown)} unknown",
        highlight=False,
    )
    for line, address in report.unknown:
        console.print(f"  row {line}: {address} is not a partner contact (not recorded)", highlight=False)


@app.command("mark")
def mark_cmd(
    wave: WaveOption,
    workshop: WorkshopOption,
    email: Annotated[str, typer.Option("--email", help="The contact's address.")],
    absent: Annotated[bool, typer.Option("--absent", help="Record them as absent (default: present).")] = False,
    resolves: Annotated[
        int | None, typer.Option("--resolves", help="The unmatched Teams attendee (id) this contact was.")
    ] = None,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Record one contact as present (or absent) at a workshop; with --resolves, say who an unmatched attendee was."""
    run = services(config)
    loaded = run.programme
    check_wave(loaded, wave, "--wave")
    person = who(by)
    sessions = database(run)
    with unit_of_work(sessions) as session:
        row = record.find_workshop(session, wave, workshop)
        changed = record.mark(session, row, email, present=not absent, by=person, at=run.now(), resolves=resolves)
    state = "absent" if absent else "present"
    console.print(
        f"{email.strip().lower()}: {state} at {wave} workshop {workshop}"
        + ("" if changed else " (already recorded; nothing changed)"),
        highlight=False,
    )


@app.command("list")
def list_cmd(
    wave: WaveOption,
    workshop: Annotated[int | None, typer.Option("--workshop", help="Only this workshop.")] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Who came to a wave's workshops, the figures per workshop, and unmatched Teams attendees to resolve."""
    run = services(config)
    loaded = run.programme
    check_wave(loaded, wave, "--wave")
    sessions = database(run)
    Wk, At, Ct, Um = models.Workshop, models.Attendance, models.Contact, models.UnmatchedAttendee
    with sessions() as session:
        where = [Wk.wave_id == wave] + ([Wk.number == workshop] if workshop is not None else [])
        records: list[dict[str, Any]] = [
            {
                "workshop": number,
                "email": email,
                "name": name,
                "present": present,
                "source": source,
                "recorded_by": recorded_by,
                "recorded_at": at.isoformat(),
            }
            for number, email, name, present, source, recorded_by, at in session.execute(
                select(Wk.number, Ct.email, Ct.name, At.present, At.source, At.recorded_by, At.recorded_at)
                .join(At, At.workshop_id == Wk.id)
                .join(Ct, Ct.id == At.contact_id)
                .where(*where)
                .order_by(Wk.number, Ct.email)
            ).tuples()
        ]
        unmatched = [
            {"id": id_, "workshop": number, "name": name, "email": email}
            for id_, number, name, email in session.execute(
                select(Um.id, Wk.number, Um.name, Um.email)
                .join(Wk, Wk.id == Um.workshop_id)
                .where(*where, Um.resolved_at.is_(None))
                .order_by(Wk.number, Um.id)
            ).tuples()
        ]
        figures = load_figures(session, loaded, run.now(), wave_ids=[wave])
    per_workshop: list[dict[str, Any]] = [
        {
            "workshop": w.number,
            "title": w.title,
            "date": w.day.isoformat(),
            "known": w.known,
            "invited": w.tally.invited,
            "accepted": w.tally.accepted,
            "attended": w.tally.attended,
            "no_shows": w.tally.no_shows,
        }
        for w in figures.workshops
        if workshop is None or w.number == workshop
    ]
    if as_json:
        out: dict[str, Any] = {"wave": wave, "workshops": per_workshop, "attendance": records, "unmatched": unmatched}
        print(json.dumps(out, indent=2))
        return
    table = Table(title=f"Attendance in {wave}")
    for column in ("Workshop", "Date", "Known", "Invited", "Accepted", "Attended", "No-shows"):
        table.add_column(column)
    for w in per_workshop:
        table.add_row(
            f"{w['workshop']} {w['title']}",
            w["date"],
            "yes" if w["known"] else "not yet",
            *(str(w[k]) for k in ("invited", "accepted", "attended", "no_shows")),
        )
    console.print(table)
    if records:
        people = Table(title="Recorded")
        for column in ("Workshop", "Contact", "", "Source"):
            people.add_column(column)
        for r in records:
            people.add_row(
                str(r["workshop"]), f"{r['name']} <{r['email']}>", "present" if r["present"] else "absent", r["source"]
            )
        console.print(people)
    if unmatched:
        console.print(
            f"Unmatched Teams attendees ({len(unmatched)}): resolve with "
            "`rollout attendance mark --wave W --workshop N --email ADDRESS --resolves ID`",
            highlight=False,
        )
        for u in unmatched:
            console.print(
                f"  #{u['id']} workshop {u['workshop']}: {u['name']} <{u['email'] or 'no address'}>", highlight=False
            )


@app.command("qr")
def qr_cmd(
    wave: WaveOption,
    workshop: WorkshopOption,
    out: Annotated[Path, typer.Option("--out", help="FILE.png or FILE.svg")],
    config: ConfigOption = None,
) -> None:
    """A QR code of the workshop's "I'm here" link, to print for the room (it works only on the workshop's date)."""
    from rollout.attendance.here import here_url
    from rollout.attendance.qr import write_qr
    from rollout.checkin.tokens import codec_from_settings

    run = services(config)
    loaded = run.programme
    check_wave(loaded, wave, "--wave")
    signing = codec_from_settings(run.settings)
    sessions = database(run)
    with sessions() as session:
        row = record.find_workshop(session, wave, workshop)
        url = here_url(signing, row, loaded)
        day = row.starts_at.astimezone(loaded.tz).date()
    write_qr(url, out)
    console.print(f'{out}: the "I\'m here" link of {wave} workshop {workshop}, valid on {day}', highlight=False)
    console.print(url, highlight=False, soft_wrap=True)
