"""Apply a verified check-in claim: every rule that decides whether a link may still act, and the one write.

A claim (rollout.checkin.tokens) only proves that we issued the link and that it has not expired. Before it acts:

- the link has not been used before (each link acts once: its token id is stored in `checkin_use`);
- its contact is still an active contact (removing or deactivating a contact revokes their links);
- the action or hub belongs to the contact's own organisation (a link can never act on another organisation's
  action or hub, even one in the same LCP; actions owned by LCP leads have no organisation and never qualify);
- the transition still applies: the action is still open; a `hub.stage:N` link moves a hub from stage N-1 to N
  only (if the hub has moved since, the link no longer applies); a hub asks for help once per period at a stage.

`preview` runs the same checks read-only (for GET, which must never record); `apply` runs them again inside the
recording transaction, records through rollout.programme.progress with source "checkin", and stores the token id
as used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin import notify
from rollout.checkin.tokens import Claim
from rollout.config import Programme
from rollout.db import models
from rollout.outbound.emails import long_date
from rollout.programme import progress

SOURCE = "checkin"
NOTE_MAX_LENGTH = 1000

_Row = TypeVar("_Row", models.Contact, models.Action, models.Hub)
RefusalReason = Literal["used", "revoked", "other_organisation", "gone", "not_applicable"]


@dataclass(frozen=True)
class Refusal:
    """Why a genuine link may not act (now). `status` is the HTTP status the page answers with."""

    reason: RefusalReason
    status: int
    title: str
    message: str


@dataclass(frozen=True)
class Proposal:
    """What a link will record, in words, for the confirmation page."""

    claim: Claim
    heading: str
    summary: str
    button: str
    details: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Recorded:
    proposal: Proposal
    at: dt.datetime
    note: str | None
    thanks: str


@dataclass(frozen=True)
class _Target:
    contact: models.Contact
    organisation: models.Organisation
    action: models.Action | None = None
    hub: models.Hub | None = None


def preview(session: Session, programme: Programme, claim: Claim) -> Proposal | Refusal:
    """Whether the link may act now and what it would record. Reads only."""
    target = _target(session, programme, claim)
    if isinstance(target, Refusal):
        return target
    return _proposal(programme, claim, target)


def apply(
    sessions: sessionmaker[Session],
    programme: Programme,
    claim: Claim,
    note: str | None,
    at: dt.datetime,
    *,
    keep_calendar: bool = False,
) -> Recorded | Refusal:
    """Record the claim once, in one transaction; a refusal (or a concurrent replay) changes nothing."""
    note = clean_note(note)
    try:
        with sessions() as session, session.begin():
            outcome = _record(session, programme, claim, note, at, keep_calendar=keep_calendar)
            if isinstance(outcome, Refusal):
                raise _Refused(outcome)  # rolls the transaction back: a refusal never leaves a trace
        return outcome
    except _Refused as refused:
        return refused.refusal
    except IntegrityError:
        # A concurrent request won the race (the same link, or another help link for the same hub): say why.
        with sessions() as session:
            again = preview(session, programme, claim)
        return again if isinstance(again, Refusal) else _used(None, programme)


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


def clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    text = note.replace("\x00", "").replace("\r\n", "\n").strip()
    return text[:NOTE_MAX_LENGTH] or None


def _record(
    session: Session, programme: Programme, claim: Claim, note: str | None, at: dt.datetime, *, keep_calendar: bool
) -> Recorded | Refusal:
    target = _target(session, programme, claim)
    if isinstance(target, Refusal):
        return target
    # Claim the token first: its row makes a concurrent replay of the same link fail on the primary key, and on
    # SQLite this first write takes the database's write lock. Then check again under locks, on fresh rows, so two
    # different links racing for the same action or hub cannot both act.
    session.add(
        models.CheckinUse(
            token_id=claim.token_id,
            used_at=at,
            contact_id=target.contact.id,
            subject=claim.subject,
            transition=str(claim.transition),
        )
    )
    session.flush()
    target = _target(session, programme, claim, lock=True)
    if isinstance(target, Refusal):
        return target
    proposal = _proposal(programme, claim, target)
    by = target.contact.email
    org = target.organisation
    if claim.transition.kind == "contact.stop":
        target.contact.mail_opted_out_at, target.contact.keep_calendar = at, keep_calendar
        thanks = f"You will get no more emails from the {programme.programme.name}."
        thanks += " You will still get workshop invitations." if keep_calendar else ""
    elif target.action is not None:
        progress.complete_action(session, target.action, by=by, source=SOURCE, note=note, at=at)
        thanks = f"'{target.action.title}' is marked as done for {org.name}."
    elif claim.transition.kind == "hub.stage" and target.hub is not None and claim.transition.stage is not None:
        progress.move_hub(session, target.hub, claim.transition.stage, by=by, source=SOURCE, note=note, at=at)
        thanks = f"{org.name} is now recorded at stage {claim.transition.stage}: {_stage_title(programme, claim)}."
    elif target.hub is not None:
        request = progress.request_help(
            session, target.hub, by=by, source=SOURCE, note=note, contact_id=target.contact.id, at=at
        )
        if request is None:  # checked in _target; kept for the type checker and for races
            return _help_already(programme, target.hub, session)
        notify.queue_help_request(session, programme, request, target.hub, org, target.contact)
        thanks = f"We have told the {programme.programme.name} team that {org.name} would like help. "
        thanks += "Someone will be in touch."
    else:  # pragma: no cover - _target returns an action for action claims and a hub for hub claims
        raise AssertionError(claim)
    session.flush()
    return Recorded(proposal=proposal, at=at, note=note, thanks=thanks)


def _target(session: Session, programme: Programme, claim: Claim, *, lock: bool = False) -> _Target | Refusal:
    """The contact and the action or hub, if the claim may act on them. With `lock` (inside the recording
    transaction, after the token is claimed): rows re-read, the action or hub locked (FOR UPDATE where the database
    has it; on SQLite the transaction's write lock already serialises check-ins)."""

    def get(model: type[_Row], ident: int) -> _Row | None:
        # Only the action or hub is locked: the token's row already holds a key-share lock on the contact (its
        # foreign key), and two check-ins upgrading that to FOR UPDATE would deadlock each other.
        return session.get(model, ident, with_for_update=lock and model is not models.Contact, populate_existing=lock)

    if not lock:
        use = session.get(models.CheckinUse, claim.token_id)
        if use is not None:
            return _used(use, programme)
    contact = get(models.Contact, claim.contact_id)
    if contact is None or not contact.active or contact.erased_at is not None:  # erased: links revoked
        return Refusal(
            "revoked",
            403,
            "This link no longer works",
            "It was sent to someone who is no longer a contact for this programme. "
            f"If you still work with the programme, please contact the {programme.programme.name} team.",
        )
    if claim.subject_kind == "contact":
        return _contact_target(programme, claim, contact)
    if claim.subject_kind == "action":
        return _action_target(programme, contact, get(models.Action, claim.subject_id))
    return _hub_target(session, programme, claim, contact, get(models.Hub, claim.subject_id))


def _contact_target(programme: Programme, claim: Claim, contact: models.Contact) -> _Target | Refusal:
    """A "stop emails" link: for its own contact only, and once."""
    if claim.subject_id != contact.id:
        return _gone("This link is not for this contact.")
    if contact.mail_opted_out_at is not None:
        when = long_date(contact.mail_opted_out_at.astimezone(programme.tz))
        return Refusal("not_applicable", 410, "Already stopped", f"Emails were stopped on {when}. Nothing more to do.")
    return _Target(contact, contact.organisation)


def _action_target(programme: Programme, contact: models.Contact, action: models.Action | None) -> _Target | Refusal:
    """The action, if the contact's organisation owns it and it is still open."""
    if action is None:
        return _gone("The action this link was for no longer exists.")
    if action.organisation_id is None or action.organisation_id != contact.organisation_id:
        return _other_organisation()
    if action.status != "open":
        when = f" on {long_date(action.done_at.astimezone(programme.tz))}" if action.done_at else ""
        return Refusal(
            "not_applicable",
            410,
            "Already done",
            f"'{action.title}' was already marked as done{when}. Nothing more is needed.",
        )
    return _Target(contact, contact.organisation, action=action)


def _hub_target(
    session: Session, programme: Programme, claim: Claim, contact: models.Contact, hub: models.Hub | None
) -> _Target | Refusal:
    """The hub, if it is the contact's and the claimed move (next stage, or a first request for help) still applies."""
    if hub is None:
        return _gone("The hub this link was for no longer exists.")
    if hub.organisation_id != contact.organisation_id:
        return _other_organisation()
    organisation = contact.organisation
    transition = claim.transition
    if transition.kind == "hub.stage":
        stage = transition.stage or 0
        if stage not in {s.number for s in programme.stages}:
            return _gone(f"Stage {stage} is no longer one of the programme's stages.")
        if hub.stage >= stage:
            return Refusal(
                "not_applicable",
                410,
                "Already recorded",
                f"{organisation.name} is already recorded at stage {hub.stage}. Nothing more is needed.",
            )
        if hub.stage != stage - 1:
            return Refusal(
                "not_applicable",
                410,
                "This link no longer applies",
                f"This link was for moving from stage {stage - 1} to stage {stage}, but {organisation.name} is "
                f"now recorded at stage {hub.stage}. Please use the link in the latest email, or contact the "
                f"{programme.programme.name} team.",
            )
    elif progress.help_requested(session, hub) is not None:
        return _help_already(programme, hub, session)
    return _Target(contact, organisation, hub=hub)


def _proposal(programme: Programme, claim: Claim, target: _Target) -> Proposal:
    org = target.organisation
    details = [("Organisation", org.name)]
    if claim.transition.kind == "contact.stop":
        heading, button = "Stop emails from this programme", "Stop emails"
        summary = (
            f"Stop all emails from the {programme.programme.name} to {target.contact.email}. Your details stay "
            "only as long as our privacy notice says."
        )
    elif target.action is not None:
        action = target.action
        details += [("Action", action.title), ("Due", long_date(action.due_date))]
        heading, button = "Mark an action as done", "Mark as done"
        summary = f"Mark '{action.title}' as done for {org.name}"
    elif claim.transition.kind == "hub.stage" and target.hub is not None:
        stage = claim.transition.stage
        heading, button = "Confirm your hub's new stage", f"Confirm stage {stage}"
        summary = f"Record that {org.name} has reached stage {stage}: {_stage_title(programme, claim)}"
        details += [
            ("Stage now", _stage_label(programme, target.hub.stage)),
            ("New stage", _stage_label(programme, stage or 0)),
        ]
    else:
        assert target.hub is not None
        heading, button = "Ask for help", "Ask for help"
        summary = f"Ask the {programme.programme.name} team to help {org.name}"
        details += [("Stage now", _stage_label(programme, target.hub.stage))]
    details.append(("Recorded as", f"{target.contact.name} ({target.contact.email})"))
    return Proposal(claim=claim, heading=heading, summary=summary, button=button, details=details)


def _stage_title(programme: Programme, claim: Claim) -> str:
    stage = claim.transition.stage or 0
    return next((s.title for s in programme.stages if s.number == stage), f"stage {stage}")


def _stage_label(programme: Programme, number: int) -> str:
    title = next((s.title for s in programme.stages if s.number == number), None)
    return f"{number}: {title}" if title else str(number)


def _used(use: models.CheckinUse | None, programme: Programme) -> Refusal:
    when = f" on {long_date(use.used_at.astimezone(programme.tz))}" if use is not None else ""
    return Refusal(
        "used",
        410,
        "This link has already been used",
        f"It was used{when} and what it recorded is kept. Each link works once, so nothing more was recorded.",
    )


def _gone(message: str) -> Refusal:
    return Refusal("gone", 410, "This link no longer applies", message)


def _other_organisation() -> Refusal:
    return Refusal(
        "other_organisation",
        403,
        "This link is not for your organisation",
        "A check-in link can only record progress for the organisation it was sent to. Nothing was recorded.",
    )


def _help_already(programme: Programme, hub: models.Hub, session: Session) -> Refusal:
    request = progress.help_requested(session, hub)
    when = f" on {long_date(request.requested_at.astimezone(programme.tz))}" if request is not None else ""
    return Refusal(
        "not_applicable",
        410,
        "You have already asked for help",
        f"Your organisation asked for help{when} and the {programme.programme.name} team has been told. "
        "Someone will be in touch.",
    )
