"""`rollout status`: where the data lives and where the programme stands, at a glance."""

from __future__ import annotations

from sqlalchemy import func, select

from rollout.attendance.figures import attendance_lines
from rollout.cli.common import ConfigOption, console, database, engine_of, new_table, services
from rollout.db import models
from rollout.db.migrate import current_revision
from rollout.programme.decisions import describe_decision, latest_decisions


def status(config: ConfigOption = None) -> None:
    """Show the config, the database and counts of partners, hubs, workshops and outbound messages."""
    run = services(config)
    loaded = run.programme
    sessions = database(run)
    engine = engine_of(run)
    console.print(f"programme: {loaded.programme.name}")
    console.print(f"database: {engine.url.render_as_string(hide_password=True)} (revision {current_revision(engine)})")
    with sessions() as session:

        def count(model: type[models.Base], *where: object) -> int:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]

        console.print(
            f"partners: {count(models.Organisation)} organisations, "
            f"{count(models.Contact, models.Contact.active.is_(True))} active contacts, {count(models.Hub)} hubs"
        )
        stages = dict(session.execute(select(models.Hub.stage, func.count()).group_by(models.Hub.stage)).tuples().all())
        if stages:
            console.print(
                "hubs by stage: " + ", ".join(f"{s}: {stages.get(s, 0)}" for s in range(1, loaded.max_stage + 1))
            )
        table = new_table("Waves", "Wave", "Dates", "LCPs", "Workshops scheduled", "Cancelled", "Launch approval")
        rows = {w.id: w for w in session.scalars(select(models.Wave))}
        decisions = latest_decisions(session)
        answers = []  # the full answers (who, why) go below the table: a reason does not fit a column
        for wave in loaded.waves:
            row = rows.get(wave.id)
            scheduled = count(
                models.Workshop, models.Workshop.wave_id == wave.id, models.Workshop.status == "scheduled"
            )
            cancelled = count(
                models.Workshop, models.Workshop.wave_id == wave.id, models.Workshop.status == "cancelled"
            )
            decision = decisions.get(wave.id)
            approved = "-"
            if decision is not None:
                approved = f"{decision.decision.replace('_', ' ')} {decision.decided_at:%Y-%m-%d}"
                answers.append(f"{wave.id}: {describe_decision(decision)}")
            elif row and row.approved_at:  # approved before decisions were kept
                approved = f"approved {row.approved_at:%Y-%m-%d} by {row.approved_by}"
            table.add_row(
                wave.id, f"{wave.start} to {wave.end}", ", ".join(wave.lcps), str(scheduled), str(cancelled), approved
            )
        console.print(table)
        for line in attendance_lines(session, loaded):
            console.print(line, highlight=False)
        if answers:
            lines = "\n".join(f"  {line}" for line in answers)
            console.print(f"launch approval, latest answer:\n{lines}", highlight=False, markup=False)
        outbox = dict(
            session.execute(select(models.OutboundMessage.status, func.count()).group_by(models.OutboundMessage.status))
            .tuples()
            .all()
        )
        console.print("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(outbox.items())) or "empty"))
