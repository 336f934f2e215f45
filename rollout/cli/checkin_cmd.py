"""`rollout checkin serve` (the check-in page) and `rollout checkin link` (a working link, for support and demos)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from rollout.cli.common import ConfigOption, console, database, err_console, services
from rollout.errors import InputError, NotFoundError
from rollout.limits import MAX_NUMBERED, MAX_ROW_ID
from rollout.suggest import did_you_mean

app = typer.Typer(no_args_is_help=True)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (put a TLS reverse proxy in front).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8765,
    config: ConfigOption = None,
) -> None:
    """Serve the check-in page partners reach from the links in our emails (needs ROLLOUT_CHECKIN_SECRET)."""
    from rollout.checkin.serve import serve, service_from

    run = services(config)
    database(run)
    service = service_from(run)  # the secret is resolved once, here
    requests, seconds = run.settings.checkin_rate_limit
    proxies = run.settings.checkin_trusted_proxies
    console.print(f"check-in page: http://{host}:{port}", highlight=False)
    console.print(f"links in emails point at: {run.settings.checkin_public_url}", highlight=False)
    console.print(f"rate limit: {requests} requests per {seconds} s per client", highlight=False)
    console.print(
        f"client address: X-Forwarded-For through {proxies} trusted proxy hop(s)"
        if proxies
        else "client address: the connecting address (X-Forwarded-For ignored; set ROLLOUT_TRUST_PROXY behind a proxy)",
        highlight=False,
    )
    serve(service, host, port, run.settings)


@app.command("link", context_settings={"help_option_names": ["-h"]})
def link_cmd(
    ctx: typer.Context,
    contact: Annotated[str | None, typer.Option("--contact", help="The contact's email address.")] = None,
    action: Annotated[
        int | None, typer.Option("--action", min=1, max=MAX_ROW_ID, help="Action id: a 'Mark as done' link.")
    ] = None,
    hub: Annotated[
        int | None, typer.Option("--hub", min=1, max=MAX_ROW_ID, help="Hub id, with --stage N or --help.")
    ] = None,
    stage: Annotated[
        int | None,
        typer.Option("--stage", min=1, max=MAX_NUMBERED, help="With --hub: a 'We have reached stage N' link."),
    ] = None,
    help_link: Annotated[
        bool, typer.Option("--help", help="With --hub: a 'We need help' link. (Alone: show this help; also -h.)")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print a working check-in link for one contact, checked as the page will check it."""
    if help_link and contact is None and action is None and hub is None and stage is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    problems = _combination_problems(contact, action, hub, stage, help_link)
    if problems:
        raise InputError("rollout checkin link", problems)
    assert contact is not None

    from rollout.checkin import links, records
    from rollout.checkin.tokens import Claim, codec_from_settings
    from rollout.db import models
    from rollout.partners.addresses import normalise_email

    run = services(config)
    loaded = run.programme
    sessions = database(run)
    try:
        email = normalise_email(contact)
    except ValueError as exc:
        raise InputError("--contact", [str(exc)]) from None
    with sessions() as session:
        person = session.scalars(select(models.Contact).where(models.Contact.email == email)).one_or_none()
        if person is None:
            known = session.scalars(select(models.Contact.email).where(models.Contact.active.is_(True)))
            raise NotFoundError("--contact", [f"no contact {email}{did_you_mean(email, known)}"])
        if action is not None:
            url = links.action_done_url(person.id, action)
        elif stage is not None and hub is not None:
            url = links.hub_stage_url(person.id, hub, stage)
        else:
            assert hub is not None
            url = links.hub_help_url(person.id, hub)
        claim = codec_from_settings(run.settings).verify(url.rsplit("/", 1)[-1])
        assert isinstance(claim, Claim), claim
        outcome = records.preview(session, loaded, claim)
    if isinstance(outcome, records.Refusal):
        raise InputError(f"link for {email}", [f"{outcome.title}: {outcome.message}"])
    err_console.print(f"{outcome.summary}.")
    days = run.settings.checkin_token_days
    err_console.print(f"Works once, for {days} days, for {person.name} <{person.email}> only.")
    print(url)  # plain print: no wrapping, so the link can be copied or piped


def _combination_problems(
    contact: str | None, action: int | None, hub: int | None, stage: int | None, help_link: bool
) -> list[str]:
    problems = []
    if contact is None:
        problems.append("--contact EMAIL is required")
    chosen = [action is not None, hub is not None and stage is not None, hub is not None and help_link]
    if sum(chosen) != 1 or (action is not None and (hub is not None or stage is not None or help_link)):
        problems.append("give exactly one of: --action ID, --hub ID --stage N, --hub ID --help")
    elif hub is None and (stage is not None or help_link):
        problems.append("--stage and --help need --hub ID")
    return problems
