"""`rollout digest`: run the weekly digest now, or preview its email without sending or storing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rollout.checkin.email_links import refuse_insecure_links
from rollout.cli.common import ConfigOption, check_lcp, console, database, microsoft_365_ready, services
from rollout.errors import InputError
from rollout.files import write_private
from rollout.planning.as_of import parse_as_of


def digest(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Report the week containing this date (YYYY-MM-DD, at the digest time) or time."),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Write the email's HTML to this file; send nothing, store nothing."),
    ] = None,
    lcp: Annotated[
        str | None, typer.Option("--lcp", help="With --preview: the version this LCP's lead receives.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """The weekly progress digest: programme managers get the whole programme, each LCP lead their own LCP."""
    run = services(config)
    loaded = run.programme
    when = parse_as_of(as_of, loaded.programme.timezone, loaded.runs.digest_time) if as_of else None
    check_lcp(loaded, lcp)
    if preview is None:
        if lcp is not None:
            raise InputError("--lcp", ["only applies with --preview: a digest run emails every lead their own LCP"])
        refuse_insecure_links()  # before anything is queued
        microsoft_365_ready(loaded)  # nothing is stored or queued, the database not even made, unless the app can send
        database(run)
        from flows.weekly_digest import weekly_digest  # Prefect loads only for commands that run flows

        result = weekly_digest(as_of=when, config_path=str(config) if config else None)
        console.print(
            f"digest for the week of {result['week']}: {result['queued']} emails queued "
            f"for {result['recipients']} recipients; {result['outcome']}; artifact {result['artifact']}"
        )
        return

    from rollout.digest import preview_digest, render_email

    if preview.is_dir():
        raise InputError("--preview", [f"{preview} is a directory; give a file name such as {preview / 'digest.html'}"])
    sessions = database(run)
    with sessions() as session:
        figures = preview_digest(session, loaded, when or run.now(), lcp)
    email = render_email(figures)
    write_private(preview, email.html)  # names and addresses of partners: 0600
    console.print(f"{email.subject}")
    console.print(f"preview of the digest for {figures.scope_name} written to {preview} (nothing sent or stored)")
