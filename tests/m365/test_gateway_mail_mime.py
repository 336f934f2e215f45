"""Mail drafts are real multipart/alternative MIME with a Message-ID derived from the idempotency key."""

from __future__ import annotations

import base64
import email
import random
import re
from collections.abc import Callable
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage

from rollout.m365.mail import _address, message_id_for, mime_draft_body, mime_message
from rollout.outbound.gateway import MailSpec, PermanentGraphError, Recipient

MAIL = MailSpec(
    to=(Recipient("Ann Lee", "ann@hub.example"),),
    cc=(Recipient("Bo Chan", "bo@hub.example"),),
    subject="Workshop 2 – what to bring",
    text="Bring your laptop.",
    html="<p>Bring your <b>laptop</b>.</p>",
)


def test_message_id_is_deterministic_and_in_the_senders_domain() -> None:
    first = message_id_for("wave-1/ann/reminder-2", "hubs@council.example")
    assert first == message_id_for("wave-1/ann/reminder-2", "hubs@council.example")
    assert first != message_id_for("wave-1/ann/reminder-3", "hubs@council.example")
    assert first.startswith("<rollout.") and first.endswith("@council.example>")
    assert len(first) < 80


def test_the_draft_is_base64_mime_with_text_then_html() -> None:
    message_id = message_id_for("k", "hubs@council.example")
    raw = base64.b64decode(mime_draft_body(MAIL, "hubs@council.example", message_id))
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Message-ID"] == message_id
    assert parsed["From"] == "hubs@council.example"
    assert "ann@hub.example" in parsed["To"] and "bo@hub.example" in parsed["Cc"]
    assert parsed["Subject"] == "Workshop 2 – what to bring"
    parts = [p.get_content_type() for p in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert parsed.get_body(("plain",)).get_content().strip() == "Bring your laptop."
    assert "<b>laptop</b>" in parsed.get_body(("html",)).get_content()


# --- the MIME is what the stdlib's EmailMessage writes, byte for byte -------------------------------------------


def stdlib_mime(mail: MailSpec, organiser: str, message_id: str) -> bytes:
    """The reference: EmailMessage with the SMTP policy (what mail.py did before it wrote the MIME itself)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(addr_spec=organiser)
    message["To"] = [_address(r) for r in mail.to]
    if mail.cc:
        message["Cc"] = [_address(r) for r in mail.cc]
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message.as_bytes()


_BOUNDARY = re.compile(rb"===============\d+==")

NAMES = [
    "",
    "Ann Lee",
    "Zoë Ñúñez",
    "J. Smith",
    'Ann "Nan" Lee',
    "O'Brien-Smith",
    "Lee, Ann",
    "=?utf-8?q?Ann?=",
    "a" * 90,
    " Ann",
    "Ann ",
    "Ann  Lee",
    "Ann\tLee",
    "Ann\nBcc: x@evil.example",
    "Ann\r\nLee",
    "日本語の名前",
    "Ann 🙂",
    "(Ann)",
    "Ann <ann@evil.example>",
    "back\\slash",
]
ADDRESSES = [
    "ann@hub.example",
    "first.last+tag@sub.hub.example",
    " pad@hub.example ",
    "UPPER@HUB.EXAMPLE",
    "not-an-address",
    "a@b@c.example",
    '"quoted local"@hub.example',
    "a..b@hub.example",
    "x" * 70 + "@hub.example",
    "ann@hub.example\nBcc: x@evil.example",
    "",
    "ann@[127.0.0.1]",
    "zoë@hub.example",
]
SUBJECTS = [
    "Workshop 2 – what to bring",
    "Your session",
    "",
    " leading space",
    "trailing space ",
    "two  spaces",
    "=?utf-8?q?encoded?= lookalike",
    "S" * 69,
    "S" * 70,
    "S" * 71,
    "word " * 30,
    "line\nbreak",
    "line\rbreak",
    "Ünïcödé " * 12,
    "tab\there",
    'semi; colon: <angle> (paren) "quote"',
]
TEXTS = [
    "",
    "Bring your laptop.",
    "Dear Ann,\n\nSee you on Tuesday.\n\nThe team\n",
    "x" * 78,
    "x" * 79,
    "y" * 300,
    "Zoë " * 10,
    "Zoë " * 30,
    "日本語" * 40,
    "\n".join(f"line {n} " + "é" * (n * 9) for n in range(14)),
    "\n".join("z" * 100 for _ in range(12)),
    "\n".join("é" * 100 for _ in range(12)),
    "crlf\r\nlines\r\nand\rcr\n",
    "trailing spaces   \nand tabs\t\n",
    "From the start\n.\n..\n",
    "--===============1234567890123456789==\n--x--\n",
    "no final newline",
    "<p>" + "Bring your <b>laptop</b>. " * 20 + "</p>",
    "\x00nul \x0bvt \x0cff \x1cfs \x85nel \u2028ls",
]


def _outcome(build: Callable[[], bytes]) -> tuple[str, bytes | str]:
    try:
        return "ok", _BOUNDARY.sub(b"BOUNDARY", build())
    except PermanentGraphError as error:
        return "refused", f"{error.status} {error.code} {error}"
    except Exception as error:  # the same kind of failure, whatever it is
        return "error", type(error).__name__


def _cases() -> list[tuple[MailSpec, str]]:
    rng = random.Random(7)
    cases = []
    for _ in range(400):
        to = tuple(Recipient(rng.choice(NAMES), rng.choice(ADDRESSES)) for _ in range(rng.choice((1, 1, 1, 2, 3))))
        cc = tuple(Recipient(rng.choice(NAMES), rng.choice(ADDRESSES)) for _ in range(rng.choice((0, 0, 1, 2))))
        mail = MailSpec(to=to, cc=cc, subject=rng.choice(SUBJECTS), text=rng.choice(TEXTS), html=rng.choice(TEXTS))
        organiser = rng.choice(["hubs@council.example", "a" * 250 + "@b.example", "Hubs@Council.Example"])
        cases.append((mail, organiser))
    for name in NAMES:
        for address in ADDRESSES:
            cases.append((MailSpec(to=(Recipient(name, address),), subject="s", text="t", html="h"), "hubs@c.example"))
    for subject in SUBJECTS:
        for text in TEXTS:
            cases.append(
                (MailSpec(to=(Recipient("Ann", "a@b.example"),), subject=subject, text=text, html=text), "o@c.example")
            )
    return cases


def test_the_mime_is_byte_for_byte_what_the_stdlib_writes() -> None:
    checked = 0
    for mail, organiser in _cases():
        message_id = message_id_for(mail.subject, organiser)
        ours = _outcome(lambda: mime_message(mail, organiser, message_id))  # noqa: B023
        reference = _outcome(lambda: stdlib_mime(mail, organiser, message_id))  # noqa: B023
        assert ours == reference, (mail, organiser)
        checked += ours[0] == "ok"
    assert checked > 300  # most cases are messages, not refusals


def test_non_ascii_names_and_subjects_round_trip() -> None:
    mail = MailSpec(
        to=(Recipient("Zoë Ñúñez", "zoe@hub.example"), Recipient("J. Smith", "js@hub.example")),
        subject="Ünïcödé – session",
        text="Grüße\n",
        html="<p>Grüße</p>",
    )
    parsed = email.message_from_bytes(
        mime_message(mail, "hubs@council.example", "<m@council.example>"), policy=policy.default
    )
    assert [a.display_name for a in parsed["To"].addresses] == ["Zoë Ñúñez", "J. Smith"]
    assert parsed["Subject"] == "Ünïcödé – session"
    assert parsed.get_body(("plain",)).get_content().splitlines() == ["Grüße"]
