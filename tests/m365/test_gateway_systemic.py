"""Systemic versus message failures: what refuses the app itself (and would refuse every message) is a
SystemicGraphError naming the cause and the fix; what concerns one message stays a PermanentGraphError."""

from __future__ import annotations

import pickle

import pytest
from gateway_support import CLIENT_ID, ORGANISER, OUT_OF_SCOPE, SECRET, graph_requests, letter, people, workshop
from pydantic import SecretStr

from graph_emulator import GraphEmulator
from rollout.errors import SystemicError
from rollout.m365.retry import RetryPolicy
from rollout.m365.settings import ClientCredential
from rollout.outbound.gateway import NotFoundGraphError, PermanentGraphError, SystemicGraphError

EVENTS = "/users/*/events"
NOT_A_KEY = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def restore_app(emu: GraphEmulator):  # type: ignore[no-untyped-def]
    yield emu
    emu.rotate_client_secret(CLIENT_ID, SECRET)  # the session emulator's app as the other tests expect it
    emu.set_app_mailboxes(CLIENT_ID, [ORGANISER])


def test_an_expired_secret_says_so_and_how_to_replace_it(restore_app: GraphEmulator, make_gateway) -> None:
    restore_app.expire_client_secret(CLIENT_ID)
    with pytest.raises(SystemicGraphError) as caught:
        make_gateway().create_event(workshop(), "k")
    message = caught.value.render()
    assert "client secret: it has expired (AADSTS7000222)" in message
    assert "create a new client secret" in message and "ROLLOUT_CLIENT_SECRET" in message
    assert SECRET not in message and SECRET not in str(caught.value)
    assert graph_requests(restore_app) == []  # refused at the token endpoint: Graph never saw a request


def test_a_replaced_secret_is_refused_until_the_new_one_is_configured(restore_app: GraphEmulator, make_gateway) -> None:
    restore_app.rotate_client_secret(CLIENT_ID, "New~Secret.Value-1234")
    with pytest.raises(SystemicGraphError) as caught:
        make_gateway().check_access()
    assert "AADSTS7000215" in caught.value.render()
    make_gateway(credential=ClientCredential(secret=SecretStr("New~Secret.Value-1234"))).check_access()


def test_an_unknown_app_or_tenant_names_the_setting_to_check(emu: GraphEmulator, make_gateway) -> None:
    with pytest.raises(SystemicGraphError) as app:
        make_gateway(client_id="no-such-app").check_access()
    assert "no app with ROLLOUT_CLIENT_ID" in app.value.render() and "AADSTS700016" in app.value.render()
    with pytest.raises(SystemicGraphError) as tenant:
        make_gateway(tenant_id="no-such-tenant").check_access()
    assert "ROLLOUT_TENANT_ID" in tenant.value.render()


def test_a_certificate_key_that_does_not_load_is_systemic(emu: GraphEmulator, make_gateway) -> None:
    credential = ClientCredential(cert_private_key=SecretStr(NOT_A_KEY), cert_thumbprint="AB" * 20)
    with pytest.raises(SystemicGraphError) as caught:
        make_gateway(credential=credential).check_access()
    assert "certificate private key could not be used" in caught.value.render()
    assert "ROLLOUT_CLIENT_CERT_PATH" in caught.value.render()


def test_a_missing_organiser_mailbox_is_systemic_but_a_missing_event_is_not(emu: GraphEmulator, gateway) -> None:  # type: ignore[no-untyped-def]
    emu.faults.once("POST", EVENTS, status=404, code="ErrorInvalidUser")
    with pytest.raises(SystemicGraphError) as caught:
        gateway.create_event(workshop(), "k")
    assert f"organiser mailbox {ORGANISER} does not exist" in caught.value.render()
    with pytest.raises(NotFoundGraphError):
        gateway.get_event("AAMkADoesNotExist=")


def test_a_recipient_exchange_refuses_or_a_body_too_large_fails_only_that_message(emu: GraphEmulator, gateway) -> None:  # type: ignore[no-untyped-def]
    emu.faults.once("POST", "/users/*/messages", status=400, code="ErrorInvalidRecipients")
    emu.faults.once("POST", "/users/*/messages", status=413, code="ErrorMessageSizeExceeded")
    for key in ("a", "b"):
        with pytest.raises(PermanentGraphError) as caught:
            gateway.send_mail(letter(people(1)[0]), key)
        assert not isinstance(caught.value, SystemicError)


def test_throttling_beyond_the_runs_patience_is_systemic(emu: GraphEmulator, make_gateway) -> None:
    gateway = make_gateway(retry_policy=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02))
    emu.faults.once("POST", EVENTS, status=429, retry_after=0, times=3)
    with pytest.raises(SystemicGraphError) as caught:
        gateway.create_event(workshop(), "k")
    assert caught.value.status == 429 and "throttling the app" in caught.value.render()


def test_check_access_reads_the_organiser_calendar_once_and_the_result_stands_a_minute(
    emu: GraphEmulator, gateway
) -> None:  # type: ignore[no-untyped-def]
    gateway.check_access()
    gateway.check_access()
    reads = graph_requests(emu)
    assert [(r.method, r.path, r.status) for r in reads] == [("GET", f"/v1.0/users/{ORGANISER}/calendar", 200)]


def test_check_access_refuses_an_organiser_outside_the_apps_scope(emu: GraphEmulator, make_gateway) -> None:
    with pytest.raises(SystemicGraphError) as caught:
        make_gateway(organiser=OUT_OF_SCOPE).check_access()
    assert caught.value.status == 403 and OUT_OF_SCOPE in caught.value.render()


def test_access_revoked_mid_run_is_systemic_and_a_later_check_asks_again(
    restore_app: GraphEmulator, make_gateway
) -> None:
    gateway = make_gateway()
    gateway.check_access()
    restore_app.set_app_mailboxes(CLIENT_ID, [OUT_OF_SCOPE])
    with pytest.raises(SystemicGraphError):
        gateway.create_event(workshop(), "k")
    with pytest.raises(SystemicGraphError):
        gateway.check_access()  # the earlier pass no longer stands


def test_a_systemic_error_survives_pickling_with_its_cause_and_fix() -> None:
    error = SystemicGraphError(401, "invalid_client", "refused", cause="the secret expired", fix="make a new one")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is SystemicGraphError
    assert (copy.status, copy.code, copy.render(), str(copy)) == (401, "invalid_client", error.render(), str(error))
