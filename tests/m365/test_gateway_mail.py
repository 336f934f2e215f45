"""Mail through the gateway: multipart text + HTML, exactly one delivery per idempotency key."""

from __future__ import annotations

import pytest
from gateway_support import ORGANISER, graph_requests, letter, people

from graph_emulator import GraphEmulator
from rollout.m365.gateway import O365Gateway
from rollout.m365.mail import message_id_for
from rollout.outbound.gateway import PermanentGraphError, Recipient


def test_a_message_arrives_once_with_text_and_html(emu: GraphEmulator, gateway: O365Gateway) -> None:
    ann, bo = people(2)
    sent_id = gateway.send_mail(letter(ann, cc=(bo,)), "wave-1/ann/booking-confirmation")
    [item] = emu.mailbox(ann.email)
    assert item.kind == "mail" and item.sender == ORGANISER
    assert item.subject == "Your workshop place"
    assert item.text.strip() == "Your place is booked for Tuesday."
    assert "<b>Tuesday</b>" in item.html
    assert item.internet_message_id == message_id_for("wave-1/ann/booking-confirmation", ORGANISER)
    assert item.to == (ann.email,) and item.cc == (bo.email,)
    assert len(emu.mailbox(bo.email)) == 1
    assert sent_id  # the sent copy's id in the organiser's mailbox


def test_sending_again_with_the_same_key_delivers_nothing_more(emu: GraphEmulator, gateway: O365Gateway) -> None:
    ann = people(1)[0]
    first = gateway.send_mail(letter(ann), "wave-1/ann/reminder-1")
    again = gateway.send_mail(letter(ann), "wave-1/ann/reminder-1")
    gateway.send_mail(letter(ann), "wave-1/ann/reminder-2")
    assert first == again
    assert len(emu.mailbox(ann.email)) == 2
    assert len(graph_requests(emu, "POST", "/send")) == 2


def test_a_first_attempt_creates_and_sends_the_draft_without_a_lookup(emu: GraphEmulator, gateway: O365Gateway) -> None:
    ann = people(1)[0]
    sent_id = gateway.send_mail(letter(ann), "wave-1/ann/first", first_attempt=True)
    assert len(emu.mailbox(ann.email)) == 1
    assert graph_requests(emu, "GET") == []
    assert len(graph_requests(emu, "POST", "/messages")) == 1 and len(graph_requests(emu, "POST", "/send")) == 1
    # the draft's immutable id is the sent copy's: a later attempt finds the message under the same id
    assert gateway.send_mail(letter(ann), "wave-1/ann/first") == sent_id
    assert len(emu.mailbox(ann.email)) == 1


def test_a_second_gateway_after_a_crash_finds_the_earlier_send(make_gateway, emu: GraphEmulator) -> None:
    ann = people(1)[0]
    make_gateway().send_mail(letter(ann), "wave-1/ann/welcome")
    make_gateway().send_mail(letter(ann), "wave-1/ann/welcome")  # a new process re-running the step
    assert len(emu.mailbox(ann.email)) == 1


def test_an_invalid_recipient_is_a_permanent_error_and_is_not_retried(emu: GraphEmulator, gateway: O365Gateway) -> None:
    with pytest.raises(PermanentGraphError) as caught:
        gateway.send_mail(letter(Recipient("Nobody", "nobody@localhost")), "wave-1/bad")
    assert caught.value.status == 400 and caught.value.code == "ErrorInvalidRecipients"
    assert len(graph_requests(emu, "POST", "/send")) == 1
    assert emu.mailboxes() == {}


def test_an_unparseable_address_is_refused_before_anything_is_sent(emu: GraphEmulator, gateway: O365Gateway) -> None:
    with pytest.raises(PermanentGraphError) as caught:
        gateway.send_mail(letter(Recipient("Nobody", "not-an-address")), "wave-1/bad")
    assert caught.value.code == "ErrorInvalidRecipients"
    assert graph_requests(emu, "POST") == []
