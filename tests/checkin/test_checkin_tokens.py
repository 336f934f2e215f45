"""Tokens: what they carry, how they fail, how they expire, where the secret comes from."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from rollout.checkin import links
from rollout.checkin.tokens import (
    ACTION_DONE,
    HUB_HELP,
    CheckinConfigError,
    Claim,
    TokenCodec,
    TokenFailure,
    Transition,
    codec,
    hub_stage,
)
from tests.checkin.conftest import SECRET
from tests.checkin.pages import token_of


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_a_token_names_the_contact_the_subject_and_the_transition() -> None:
    tokens = TokenCodec(SECRET)
    cases = [("action", 12, ACTION_DONE), ("hub", 3, hub_stage(2)), ("hub", 3, HUB_HELP)]

    claims = [tokens.verify(tokens.issue(7, kind, subject, transition)) for kind, subject, transition in cases]

    for claim, (kind, subject, transition) in zip(claims, cases, strict=True):
        assert isinstance(claim, Claim)
        assert (claim.contact_id, claim.subject_kind, claim.subject_id, claim.transition) == (
            7,
            kind,
            subject,
            transition,
        )
        assert claim.subject == f"{kind}:{subject}"
        assert abs(claim.issued_at - now()) < dt.timedelta(minutes=1)
    assert len({c.token_id for c in claims if isinstance(c, Claim)}) == 3
    assert [str(c.transition) for c in claims if isinstance(c, Claim)] == ["action.done", "hub.stage:2", "hub.help"]


def test_a_transition_only_applies_to_its_own_kind_of_subject() -> None:
    with pytest.raises(ValueError, match="does not apply to a hub"):
        TokenCodec(SECRET).issue(7, "hub", 3, ACTION_DONE)
    with pytest.raises(ValueError, match="unknown transition"):
        Transition.parse("hub.stage:0")
    with pytest.raises(ValueError):
        hub_stage(0)


def test_tampering_expiry_and_garbage_are_told_apart() -> None:
    tokens = TokenCodec(SECRET, max_age=dt.timedelta(days=1))
    good = tokens.issue(7, "action", 12, ACTION_DONE)

    assert tokens.verify(good[:-2] + ("AA" if not good.endswith("AA") else "BB")) == TokenFailure(
        "tampered", "the link has been changed or was not issued by us"
    )
    assert isinstance(TokenCodec("another-secret-another-secret-another").verify(good), TokenFailure)
    expired = tokens.verify(tokens.issue(7, "action", 12, ACTION_DONE, issued_at=now() - dt.timedelta(days=1, hours=1)))
    assert isinstance(expired, TokenFailure) and expired.reason == "expired"
    assert tokens.verify(good, now=now() + dt.timedelta(days=2)) == TokenFailure(
        "expired", "the link was sent more than 1 days ago"
    )
    for garbage in ("", "abc", "a.b.c", "é.é.é", good + "/x", "." * 40):
        failure = tokens.verify(garbage)
        assert isinstance(failure, TokenFailure) and failure.reason == "malformed", garbage


def test_a_signed_payload_of_the_wrong_shape_is_malformed() -> None:
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    from rollout.checkin.tokens import SALT

    signer = URLSafeTimedSerializer(SECRET, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})
    for payload in ({"c": 1}, {"c": "1", "s": "action:1", "t": "action.done", "j": "abcdefghij"},
                    {"c": 1, "s": "hub:1", "t": "action.done", "j": "abcdefghij"}, [1, 2, 3]):  # fmt: skip
        failure = TokenCodec(SECRET).verify(signer.dumps(payload))
        assert isinstance(failure, TokenFailure) and failure.reason == "malformed", payload


def test_a_link_issued_a_little_in_the_future_is_accepted_for_clock_skew() -> None:
    tokens = TokenCodec(SECRET)
    assert isinstance(
        tokens.verify(tokens.issue(7, "hub", 3, HUB_HELP, issued_at=now() + dt.timedelta(minutes=2))), Claim
    )
    far = tokens.verify(tokens.issue(7, "hub", 3, HUB_HELP, issued_at=now() + dt.timedelta(days=1)))
    assert isinstance(far, TokenFailure) and far.reason == "malformed"


def test_given_an_issue_time_a_link_is_the_same_every_time() -> None:
    at = now().replace(microsecond=0)
    assert links.action_done_url(7, 12, issued_at=at) == links.action_done_url(7, 12, issued_at=at)
    assert links.action_done_url(7, 12, issued_at=at) != links.action_done_url(8, 12, issued_at=at)
    assert links.action_done_url(7, 12) != links.action_done_url(7, 12)


def test_the_previous_secret_still_verifies_during_a_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    sent_before_rotation = links.hub_help_url(7, 3)
    monkeypatch.setenv("ROLLOUT_CHECKIN_PREVIOUS_SECRET", SECRET)
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", "the-new-secret-the-new-secret-the-new-secret")

    assert isinstance(codec().verify(token_of(sent_before_rotation)), Claim)
    new = token_of(links.hub_help_url(7, 3))
    assert isinstance(TokenCodec("the-new-secret-the-new-secret-the-new-secret").verify(new), Claim)
    assert isinstance(TokenCodec(SECRET).verify(new), TokenFailure)  # new links are signed with the new secret

    monkeypatch.delenv("ROLLOUT_CHECKIN_PREVIOUS_SECRET")
    assert isinstance(codec().verify(token_of(sent_before_rotation)), TokenFailure)


def test_without_a_secret_issuing_and_verifying_say_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLLOUT_CHECKIN_SECRET")

    with pytest.raises(CheckinConfigError) as issued:
        links.action_done_url(7, 12)
    assert "set ROLLOUT_CHECKIN_SECRET, or ROLLOUT_CHECKIN_SECRET_BLOCK" in issued.value.render()
    with pytest.raises(CheckinConfigError):
        codec().verify("a.b.c")


def test_a_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", "password")
    with pytest.raises(CheckinConfigError, match="8 characters; use at least 32"):
        links.hub_help_url(7, 3)


@pytest.mark.slow
def test_the_secret_can_come_from_a_prefect_secret_block(prefect_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    Secret(value="block-secret-block-secret-block-secret").save("checkin-test-secret", overwrite=True)
    monkeypatch.delenv("ROLLOUT_CHECKIN_SECRET")
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET_BLOCK", "checkin-test-secret")
    url = links.hub_help_url(7, 3)
    assert isinstance(TokenCodec("block-secret-block-secret-block-secret").verify(token_of(url)), Claim)

    async def from_a_running_event_loop() -> str:  # the page and async flows call it under an event loop
        return links.hub_help_url(7, 3)

    assert asyncio.run(from_a_running_event_loop()).startswith("https://")

    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET_BLOCK", "no-such-block")
    with pytest.raises(CheckinConfigError, match="no-such-block"):
        links.hub_help_url(7, 3)
