"""sendMail, drafts from JSON or MIME, /send, and finding a message again by its Message-ID or a tag."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

from graph_emulator import GraphEmulator
from tests.emulator.conftest import ORGANISER, Graph, ids

TAG = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name RolloutKey"


def _mime(message_id: str = "<key-123@rollout.example.org>") -> bytes:
    message = EmailMessage()
    message["From"] = ORGANISER
    message["To"] = "Partner A <a@example.org>"
    message["Cc"] = "c@example.org"
    message["Subject"] = "Your hub starts soon"
    message["Message-ID"] = message_id
    message["X-Rollout-Key"] = "key-123"
    message.set_content("Plain words for the partner.")
    message.add_alternative("<p>Rich <b>words</b> for the partner.</p>", subtype="html")
    return base64.b64encode(bytes(message))


def _json_message(**extra: Any) -> dict[str, Any]:
    return {
        "subject": "Wave 1 digest",
        "body": {"contentType": "HTML", "content": "<p>Hello <b>partners</b></p>"},
        "toRecipients": [{"emailAddress": {"address": "a@example.org", "name": "A"}}],
        "bccRecipients": [{"emailAddress": {"address": "hidden@example.org"}}],
        **extra,
    }


def test_send_mail_is_accepted_without_a_body_and_delivered(graph: Graph, emu: GraphEmulator) -> None:
    response = graph.post("/sendMail", json={"message": _json_message(), "saveToSentItems": True})

    assert response.status_code == 202
    assert response.content == b""
    (received,) = emu.mailbox("a@example.org")
    assert (received.kind, received.subject, received.sender) == ("mail", "Wave 1 digest", ORGANISER)
    assert received.text == "Hello partners"
    assert "<b>partners</b>" in received.html
    assert received.to == ("a@example.org",)
    assert emu.mailbox("hidden@example.org")[0].to == ("a@example.org",)  # Bcc is not shown to anyone
    sent = graph.get("/mailFolders/sentitems/messages").json()["value"]
    assert [m["subject"] for m in sent] == ["Wave 1 digest"]
    assert emu.requests[-2].is_send


def test_send_mail_body_is_validated(graph: Graph, emu: GraphEmulator) -> None:
    response = graph.post("/sendMail", json={"message": _json_message(), "sendNow": True})

    assert response.status_code == 400
    assert emu.mailboxes() == {}


def test_malformed_recipient_is_refused_with_invalid_recipients(graph: Graph, emu: GraphEmulator) -> None:
    message = _json_message(toRecipients=[{"emailAddress": {"address": "partner-at-example.org"}}])

    response = graph.post("/sendMail", json={"message": message})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidRecipients"
    assert emu.mailboxes() == {}


def test_mime_draft_keeps_its_message_id_and_parts_and_is_delivered_on_send(graph: Graph, emu: GraphEmulator) -> None:
    created = graph.post("/messages", data=_mime(), headers={"Content-Type": "text/plain"})

    assert created.status_code == 201
    draft = created.json()
    assert draft["isDraft"] is True
    assert draft["internetMessageId"] == "<key-123@rollout.example.org>"
    assert draft["toRecipients"][0]["emailAddress"]["address"] == "a@example.org"
    assert emu.mailboxes() == {}  # a draft sends nothing

    assert graph.post(f"/messages/{ids(draft['id'])}/send").status_code == 202

    (received,) = emu.mailbox("a@example.org")
    assert received.text.strip() == "Plain words for the partner."
    assert received.html.strip() == "<p>Rich <b>words</b> for the partner.</p>"
    assert received.internet_message_id == "<key-123@rollout.example.org>"
    assert received.cc == ("c@example.org",)
    assert emu.mailbox("c@example.org")[0].subject == "Your hub starts soon"


def test_sent_message_is_found_by_internet_message_id_in_sent_items(graph: Graph) -> None:
    draft = graph.post("/messages", data=_mime(), headers={"Content-Type": "text/plain"}).json()
    graph.post("/messages", data=_mime("<other@rollout.example.org>"), headers={"Content-Type": "text/plain"})
    graph.post(f"/messages/{ids(draft['id'])}/send")
    query = {"$filter": "internetMessageId eq '<key-123@rollout.example.org>'", "$select": "id,isDraft"}

    in_sent = graph.get("/mailFolders/sentitems/messages", params=query).json()["value"]
    in_drafts = graph.get("/mailFolders/drafts/messages", params=query).json()["value"]
    anywhere = graph.get("/messages", params=query).json()["value"]

    assert [m["isDraft"] for m in in_sent] == [False]
    assert in_drafts == []
    assert [m["id"] for m in anywhere] == [in_sent[0]["id"]]


def test_sending_moves_the_draft_so_its_old_id_no_longer_resolves(graph: Graph) -> None:
    draft = graph.post("/messages", json=_json_message()).json()

    graph.post(f"/messages/{ids(draft['id'])}/send")

    assert graph.get(f"/messages/{ids(draft['id'])}").status_code == 404
    assert graph.post(f"/messages/{ids(draft['id'])}/send").status_code == 404


def test_immutable_ids_survive_the_move_to_sent_items(graph: Graph) -> None:
    immutable = {"Prefer": 'IdType="ImmutableId"'}
    draft = graph.post("/messages", json=_json_message(), headers=immutable).json()

    graph.post(f"/messages/{ids(draft['id'])}/send", headers=immutable)
    sent = graph.get(f"/messages/{ids(draft['id'])}", headers=immutable)
    again = graph.post(f"/messages/{ids(draft['id'])}/send", headers=immutable)

    assert sent.status_code == 200
    assert sent.json()["isDraft"] is False
    assert again.status_code == 400


def test_drafts_are_found_by_a_single_value_extended_property(graph: Graph) -> None:
    tagged = _json_message(singleValueExtendedProperties=[{"id": TAG, "value": "digest-7"}])
    draft = graph.post("/messages", json=tagged).json()
    graph.post("/messages", json=_json_message())
    query = {
        "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{TAG}' and ep/value eq 'digest-7')",
        "$expand": f"singleValueExtendedProperties($filter=id eq '{TAG}')",
    }

    found = graph.get("/mailFolders/drafts/messages", params=query).json()["value"]

    assert [m["id"] for m in found] == [draft["id"]]
    assert found[0]["singleValueExtendedProperties"] == [{"id": TAG, "value": "digest-7"}]


def test_unsupported_filter_is_refused(graph: Graph) -> None:
    response = graph.get("/messages", params={"$filter": "contains(subject, 'x')"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidUrlQueryFilter"


def test_drafts_can_be_patched_and_deleted(graph: Graph, emu: GraphEmulator) -> None:
    draft = graph.post("/messages", json=_json_message()).json()

    patched = graph.patch(f"/messages/{ids(draft['id'])}", json={"subject": "Corrected"})
    deleted = graph.delete(f"/messages/{ids(draft['id'])}")

    assert patched.json()["subject"] == "Corrected"
    assert deleted.status_code == 204
    assert graph.get(f"/messages/{ids(draft['id'])}").status_code == 404
    assert emu.mailboxes() == {}


def test_messages_are_paged(graph: Graph) -> None:
    for n in range(3):
        graph.post("/messages", json=_json_message(subject=f"m{n}"))

    first = graph.get("/messages", params={"$top": "2"}).json()
    second = graph.session.get(first["@odata.nextLink"], timeout=5).json()

    assert len(first["value"]) == 2
    assert len(second["value"]) == 1


def test_bad_base64_mime_is_refused(graph: Graph) -> None:
    response = graph.post("/messages", data=b"%%% not base64 %%%", headers={"Content-Type": "text/plain"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorMimeContentInvalidBase64String"


def test_sending_as_another_mailbox_is_denied(graph: Graph) -> None:
    message = _json_message(**{"from": {"emailAddress": {"address": "ceo@example.org"}}})

    response = graph.post("/sendMail", json={"message": message})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ErrorSendAsDenied"
