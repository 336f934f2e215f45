"""Graph's mail endpoints under /users/{mailbox}: sendMail, drafts (JSON or MIME), /send, lookups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph_emulator import odata
from graph_emulator.delivery import Delivery
from graph_emulator.errors import ServiceError, not_found
from graph_emulator.graphcall import GraphCall
from graph_emulator.httpio import Response
from graph_emulator.messages import Message, apply_json, apply_mime, folder_id, folder_name, parse_mime
from graph_emulator.recipients import check_address
from graph_emulator.schema import validate

MESSAGE_TYPE = "microsoft.graph.message"


def _is_mime(call: GraphCall) -> bool:
    return call.request.header("content-type").split(";")[0].strip().lower() == "text/plain"


def _new_message(call: GraphCall, folder: str) -> Message:
    ids = call.state.ids
    now = dt.datetime.now(dt.UTC)
    return Message(
        immutable_id=ids.message_id(),
        rest_id=ids.message_id(),
        mailbox=call.mailbox,
        folder=folder,
        created=now,
        modified=now,
        change_key=ids.change_key(),
        internet_message_id=ids.internet_message_id(),
        conversation_id=ids.message_id(),
    )


def _read_into(call: GraphCall, message: Message, definition: str) -> dict[str, Any]:
    """Fill `message` from a MIME or JSON body; returns the JSON body (empty for MIME)."""
    if _is_mime(call):
        apply_mime(message, parse_mime(call.request.body))
        return {}
    body = call.body()
    validate(body, definition, MESSAGE_TYPE)
    fields = (body.get("message") or {}) if definition == "sendMailRequest" else body
    _check_sender(call, fields)
    apply_json(message, fields)
    return dict(body)


def _check_sender(call: GraphCall, body: dict[str, Any]) -> None:
    sender = ((body.get("from") or {}).get("emailAddress") or {}).get("address")
    if sender and sender.lower() != call.mailbox:
        raise ServiceError(
            403,
            "ErrorSendAsDenied",
            "The user account which was used to submit this request does not have the right to send mail on "
            "behalf of the specified sending account.",
        )


def _reply(call: GraphCall, status: int, message: Message) -> Response:
    data = message.to_json(call.immutable_ids())
    data = odata.with_extended(data, call.query, message.extended)
    data["@odata.context"] = call.context("messages/$entity")
    return Response.json(status, odata.select(data, call.query))


def _find(call: GraphCall, message_id: str) -> Message:
    messages = call.state.store(call.mailbox).messages
    found = messages.get(message_id)  # by immutable id (the key), else by the id the folder gives it
    if found is not None:
        return found
    for message in messages.values():
        if message_id in (message.rest_id, message.immutable_id):
            return message
    raise not_found()


def _deliver(call: GraphCall, message: Message) -> None:
    """Check recipients, count the send, then hand a copy to every To/Cc/Bcc address."""
    everyone = [a for _, a in message.to + message.cc + message.bcc]
    if not everyone:
        raise ServiceError(400, "ErrorInvalidRecipients", "At least one recipient is required.")
    checked = [check_address(a) for a in everyone]
    call.count_send()
    delivery = Delivery(
        kind="mail",
        subject=message.subject,
        sender=call.mailbox,
        text=message.text(),
        html=message.html(),
        internet_message_id=message.internet_message_id,
    )
    to = tuple(a.lower() for _, a in message.to)
    cc = tuple(a.lower() for _, a in message.cc)
    call.state.deliver(delivery, list(dict.fromkeys(checked)), to, cc)


def send_mail(call: GraphCall) -> Response:
    with call.state.lock:
        message = _new_message(call, "sentitems")
        body = _read_into(call, message, "sendMailRequest")
        _deliver(call, message)
        message.sent = message.created
        if body.get("saveToSentItems", True) is not False:
            call.state.store(call.mailbox).messages[message.immutable_id] = message
        call.committed = True
    return Response.empty(202)


def create_draft(call: GraphCall, folder: str = "drafts") -> Response:
    name = folder_name(folder)
    if name is None:
        raise not_found()
    with call.state.lock:
        message = _new_message(call, "drafts")
        _read_into(call, message, MESSAGE_TYPE)
        call.state.store(call.mailbox).messages[message.immutable_id] = message
        call.committed = True
        return _reply(call, 201, message)


def send_draft(call: GraphCall, message_id: str) -> Response:
    with call.state.lock:
        message = _find(call, message_id)
        if not message.is_draft:
            # Only reachable through an immutable id: a default id stops resolving once the item moves.
            raise ServiceError(400, "ErrorInvalidOperation", "The item is not a draft and can't be sent.")
        _deliver(call, message)
        now = dt.datetime.now(dt.UTC)
        message.folder, message.rest_id, message.sent, message.modified = (
            "sentitems",
            call.state.ids.message_id(),
            now,
            now,
        )
        message.change_key = call.state.ids.change_key()
        call.committed = True
    return Response.empty(202)


def get(call: GraphCall, message_id: str, folder: str | None = None) -> Response:
    with call.state.lock:
        message = _find(call, message_id)
        if folder is not None and folder_name(folder) != message.folder:
            raise not_found()
        return _reply(call, 200, message)


def list_messages(call: GraphCall, folder: str | None = None) -> Response:
    name = folder_name(folder) if folder is not None else None
    if folder is not None and name is None:
        raise not_found()
    immutable = call.immutable_ids()
    keep = odata.parse_filter(call.query.get("$filter"))
    # The gateway looks a Message-ID up after every send: narrow by it before rendering every message as JSON.
    wanted_id = odata.string_equalities(call.query.get("$filter")).get("internetmessageid")
    with call.state.lock:
        messages = list(call.state.store(call.mailbox).messages.values())
        if wanted_id is not None:
            wanted = wanted_id.lower()
            messages = [m for m in messages if m.internet_message_id and m.internet_message_id.lower() == wanted]
        messages = [m for m in messages if name in (None, m.folder)]
        # Graph lists mail newest first.
        messages.sort(key=lambda m: (m.sent or m.created, m.created), reverse=True)
        rendered = [(m, m.to_json(immutable)) for m in messages]
        rendered = [(m, data) for m, data in rendered if keep(data, m.extended)]

    def render(pair: tuple[Message, dict[str, Any]]) -> dict[str, Any]:
        return odata.with_extended(pair[1], call.query, pair[0].extended)

    data = odata.page(
        rendered, render, call.query, call.self_url(), call.context("messages"), call.state.config.page_size
    )
    return Response.json(200, data)


def patch(call: GraphCall, message_id: str) -> Response:
    body = call.body()
    validate(body, MESSAGE_TYPE, MESSAGE_TYPE)
    with call.state.lock:
        message = _find(call, message_id)
        content_keys = {
            "subject",
            "body",
            "toRecipients",
            "ccRecipients",
            "bccRecipients",
            "internetMessageId",
        }
        if not message.is_draft and content_keys & set(body):
            raise ServiceError(400, "ErrorInvalidPropertyUpdateSentMessage", "Update of a sent message is not allowed.")
        _check_sender(call, body)
        apply_json(message, body)
        message.modified = dt.datetime.now(dt.UTC)
        message.change_key = call.state.ids.change_key()
        call.committed = True
        return _reply(call, 200, message)


def delete(call: GraphCall, message_id: str) -> Response:
    with call.state.lock:
        message = _find(call, message_id)
        del call.state.store(call.mailbox).messages[message.immutable_id]
        call.committed = True
    return Response.empty(204)


def mail_folder(call: GraphCall, folder: str) -> Response:
    name = folder_name(folder)
    if name is None:
        raise not_found()
    with call.state.lock:
        count = sum(1 for m in call.state.store(call.mailbox).messages.values() if m.folder == name)
    display = {"drafts": "Drafts", "sentitems": "Sent Items", "inbox": "Inbox"}.get(name, name.title())
    return Response.json(
        200,
        {
            "@odata.context": call.context("mailFolders/$entity"),
            "id": folder_id(name),
            "displayName": display,
            "parentFolderId": folder_id("msgfolderroot"),
            "childFolderCount": 0,
            "unreadItemCount": 0,
            "totalItemCount": count,
            "isHidden": False,
        },
    )
