"""Signed, expiring check-in tokens: who (a contact) may do what (one transition) to which action or hub.

A token is itsdangerous' URL-safe timed serialisation of a small JSON claim, HMAC-signed with the check-in secret
(salted, so the secret signs nothing else interchangeably). It carries a random token id, so each link can be
used once (rollout.checkin.records stores used ids). Its age is checked on verification against the configured
lifetime, so shortening ROLLOUT_CHECKIN_TOKEN_DAYS also shortens links already sent.

The secret comes from ROLLOUT_CHECKIN_SECRET, or from the Prefect Secret block named by
ROLLOUT_CHECKIN_SECRET_BLOCK. ROLLOUT_CHECKIN_PREVIOUS_SECRET (optional) is still accepted when verifying, so the
secret can be rotated without breaking links in emails already sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadPayload, BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from rollout import settings
from rollout.errors import InputError
from rollout.limits import MAX_ROW_ID

SALT = "rollout.checkin.v1"
MIN_SECRET_LENGTH = 32
# Servers' clocks differ a little: a link queued on one host may look a few seconds "from the future" on another.
CLOCK_SKEW = dt.timedelta(minutes=10)
HOW_TO_GENERATE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"

# payload.timestamp.signature, URL-safe base64; a leading "." marks a compressed payload (ours are too small).
_SHAPE = re.compile(r"^\.?[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{16,100}$")

SubjectKind = Literal["action", "hub", "contact"]


class CheckinConfigError(InputError):
    """The check-in secret (or another check-in setting) is missing or unusable."""


@dataclass(frozen=True)
class Transition:
    """What a link lets its contact do: `action.done`, `hub.stage:N`, `hub.help`, or `contact.stop` (no more
    programme emails: the objection link in every partner email's footer)."""

    kind: Literal["action.done", "hub.stage", "hub.help", "contact.stop"]
    stage: int | None = None

    @property
    def subject_kind(self) -> SubjectKind:
        if self.kind == "contact.stop":
            return "contact"
        return "action" if self.kind == "action.done" else "hub"

    def __str__(self) -> str:
        return f"hub.stage:{self.stage}" if self.kind == "hub.stage" else self.kind

    @classmethod
    def parse(cls, text: str) -> Transition:
        if text == "action.done":
            return cls("action.done")
        if text == "hub.help":
            return cls("hub.help")
        if text == "contact.stop":
            return cls("contact.stop")
        name, _, number = text.partition(":")
        if name == "hub.stage" and number.isascii() and number.isdigit() and len(number) <= 3 and number[0] != "0":
            return cls("hub.stage", int(number))
        raise ValueError(f"unknown transition {text!r}")


ACTION_DONE = Transition("action.done")
HUB_HELP = Transition("hub.help")
STOP_EMAILS = Transition("contact.stop")


def hub_stage(stage: int) -> Transition:
    if stage < 1:
        raise ValueError(f"stage must be 1 or more, not {stage}")
    return Transition("hub.stage", stage)


@dataclass(frozen=True)
class Claim:
    """A verified token: the signature matched and it has not expired. Whether it may still act is records' job."""

    contact_id: int
    subject_kind: SubjectKind
    subject_id: int
    transition: Transition
    token_id: str
    issued_at: dt.datetime

    @property
    def subject(self) -> str:
        """`action:12` or `hub:3`: what the token acts on, as stored with its use."""
        return f"{self.subject_kind}:{self.subject_id}"


TokenFailureReason = Literal["tampered", "expired", "malformed"]


@dataclass(frozen=True)
class TokenFailure:
    """Why a token was refused before anything was looked up."""

    reason: TokenFailureReason
    detail: str


class _ClockedSigner(TimestampSigner):
    """itsdangerous' timestamp signer with an injectable clock (issue with a past time; tests)."""

    def __init__(self, *args: Any, clock: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock.timestamp()) if self._clock is not None else super().get_timestamp()


@dataclass(frozen=True)
class TokenCodec:
    """Issues and verifies tokens with one secret (and optionally the previous one, for rotation)."""

    secret: str
    max_age: dt.timedelta = dt.timedelta(days=settings.DEFAULT_CHECKIN_TOKEN_DAYS)
    previous_secrets: tuple[str, ...] = ()

    def _serializer(self, clock: dt.datetime | None = None) -> URLSafeTimedSerializer:
        # itsdangerous signs with the last key and accepts any of them.
        keys = [*self.previous_secrets, self.secret]
        return URLSafeTimedSerializer(
            keys, salt=SALT, signer=_ClockedSigner, signer_kwargs={"clock": clock, "digest_method": hashlib.sha256}
        )

    def issue(
        self,
        contact_id: int,
        subject_kind: SubjectKind,
        subject_id: int,
        transition: Transition,
        *,
        issued_at: dt.datetime | None = None,
    ) -> str:
        if transition.subject_kind != subject_kind:
            raise ValueError(f"transition {transition} does not apply to a {subject_kind}")
        subject = f"{subject_kind}:{int(subject_id)}"
        payload = {"c": int(contact_id), "s": subject, "t": str(transition), "j": ""}
        if issued_at is None:
            payload["j"] = secrets.token_urlsafe(12)
        else:
            # Given an issue time, the whole token is a function of its inputs: rendering an email twice gives the
            # same link (and one use between them, which is right: they would record the same thing).
            material = f"{contact_id}|{subject}|{transition}|{int(issued_at.timestamp())}".encode()
            digest = hmac.new(self.secret.encode(), b"token-id|" + material, hashlib.sha256).digest()
            payload["j"] = base64.urlsafe_b64encode(digest[:12]).decode("ascii")
        token = self._serializer(issued_at).dumps(payload)
        return token if isinstance(token, str) else token.decode("ascii")

    def verify(self, token: str, *, now: dt.datetime | None = None) -> Claim | TokenFailure:
        if not _SHAPE.fullmatch(token):
            return TokenFailure("malformed", "this is not a check-in link")
        checked_at = (now or dt.datetime.now(dt.UTC)) + CLOCK_SKEW
        try:
            payload, signed_at = self._serializer(checked_at).loads(
                token, max_age=int((self.max_age + CLOCK_SKEW).total_seconds()), return_timestamp=True
            )
        except SignatureExpired as exc:
            issued = exc.date_signed
            if issued is not None and issued > checked_at:
                # Validly signed, so ours: the issuing host's clock is far ahead of this one.
                return TokenFailure("malformed", "the link is dated in the future (check the servers' clocks)")
            return TokenFailure("expired", f"the link was sent more than {self.max_age.days} days ago")
        except BadPayload:
            return TokenFailure("malformed", "the link's content cannot be read")
        except BadSignature:
            return TokenFailure("tampered", "the link has been changed or was not issued by us")
        return _claim(payload, signed_at)


def _claim(payload: object, signed_at: dt.datetime) -> Claim | TokenFailure:
    malformed = TokenFailure("malformed", "the link's content is not a check-in")
    if not isinstance(payload, dict) or set(payload) != {"c", "s", "t", "j"}:
        return malformed
    contact_id, subject, transition_text, token_id = payload["c"], payload["s"], payload["t"], payload["j"]
    if not isinstance(contact_id, int) or not isinstance(subject, str) or not isinstance(token_id, str):
        return malformed
    if not isinstance(transition_text, str) or not 8 <= len(token_id) <= 64:
        return malformed
    kind, _, number = subject.partition(":")
    if kind not in ("action", "hub", "contact") or not number.isascii() or not number.isdigit() or len(number) > 10:
        return malformed
    if not 1 <= contact_id <= MAX_ROW_ID or not 1 <= int(number) <= MAX_ROW_ID:
        return malformed  # no row has such an id (and the database would refuse to look it up)
    try:
        transition = Transition.parse(transition_text)
    except ValueError:
        return malformed
    if transition.subject_kind != kind:
        return malformed
    return Claim(
        contact_id=contact_id,
        subject_kind=transition.subject_kind,
        subject_id=int(number),
        transition=transition,
        token_id=token_id,
        issued_at=signed_at.astimezone(dt.UTC),
    )


def codec() -> TokenCodec:
    """The codec from the environment as it is now (link builders outside a run's services); raises
    CheckinConfigError naming what to set when there is no secret."""
    return codec_from_settings(settings.Settings.from_env())


def codec_from_settings(config: settings.Settings) -> TokenCodec:
    """The codec from a run's settings, its secret resolved now (a Prefect Secret block is read once, here): whoever
    serves many requests builds it once and keeps it."""
    env = config.environ
    previous = env.get("ROLLOUT_CHECKIN_PREVIOUS_SECRET", "")
    return TokenCodec(
        secret=current_secret(env),
        max_age=dt.timedelta(days=config.checkin_token_days),
        previous_secrets=(_checked(previous, "ROLLOUT_CHECKIN_PREVIOUS_SECRET"),) if previous else (),
    )


def current_secret(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    value = env.get("ROLLOUT_CHECKIN_SECRET", "")
    if value:
        return _checked(value, "ROLLOUT_CHECKIN_SECRET")
    block = env.get("ROLLOUT_CHECKIN_SECRET_BLOCK", "").strip()
    if block:
        return _checked(_secret_from_block(block), f"Prefect Secret block {block!r}")
    raise CheckinConfigError(
        "check-in links",
        [
            "no signing secret: set ROLLOUT_CHECKIN_SECRET, or ROLLOUT_CHECKIN_SECRET_BLOCK to the name of a "
            f"Prefect Secret block holding it ({HOW_TO_GENERATE})"
        ],
    )


def _checked(value: str, source: str) -> str:
    if len(value) < MIN_SECRET_LENGTH:
        raise CheckinConfigError(
            source,
            [f"the check-in secret is {len(value)} characters; use at least {MIN_SECRET_LENGTH} ({HOW_TO_GENERATE})"],
        )
    return value


def _secret_from_block(name: str) -> str:
    """Read on each call (no process-wide cache: a rotated secret is seen at once); the page reads it once at start
    (`codec_from_settings`)."""
    from prefect.blocks.system import Secret  # Prefect loads only where a block is configured

    try:
        # _sync: Prefect would otherwise hand back a coroutine when called under a running event loop.
        block = Secret.load(name, _sync=True)  # type: ignore[call-arg]
    except ValueError as exc:
        raise CheckinConfigError(f"Prefect Secret block {name!r}", [str(exc)]) from None
    if not isinstance(block, Secret):  # pragma: no cover - _sync=True returns the block itself
        raise CheckinConfigError(f"Prefect Secret block {name!r}", ["could not be loaded"])
    value = block.get()
    if not isinstance(value, str):
        raise CheckinConfigError(f"Prefect Secret block {name!r}", ["must hold a string"])
    return value
