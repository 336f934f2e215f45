"""Who receives which digest, and the one outbox intent per recipient per week.

Programme managers receive the whole programme. Each LCP lead receives only their LCP (a person leading several
LCPs receives one digest covering those). A manager who also leads an LCP receives the whole programme once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rollout.config.schema import Programme
from rollout.digest.figures import Digest
from rollout.digest.render import render_email
from rollout.outbound.gateway import MailSpec, Recipient
from rollout.outbound.intents import Intent, mail_payload


@dataclass(frozen=True)
class DigestRecipient:
    name: str
    email: str
    lcp_ids: tuple[str, ...] | None  # None: the whole programme

    @property
    def scope(self) -> str:
        return "whole programme" if self.lcp_ids is None else ", ".join(self.lcp_ids)


def digest_recipients(programme: Programme) -> list[DigestRecipient]:
    chosen: dict[str, DigestRecipient] = {}
    for manager in programme.programme.managers:
        chosen.setdefault(str(manager.email).lower(), DigestRecipient(manager.name, str(manager.email), None))
    for lcp in programme.lcps:
        key = str(lcp.lead.email).lower()
        current = chosen.get(key)
        if current is None:
            chosen[key] = DigestRecipient(lcp.lead.name, str(lcp.lead.email), (lcp.id,))
        elif current.lcp_ids is not None:
            chosen[key] = DigestRecipient(current.name, current.email, (*current.lcp_ids, lcp.id))
    return list(chosen.values())


def digest_key(digest: Digest, email: str) -> str:
    """One digest per recipient per week, however often the flow runs that week."""
    return f"digest:{digest.week.start.isoformat()}:{email.lower()}"


def digest_intent(recipient: DigestRecipient, digest: Digest) -> Intent:
    if (recipient.lcp_ids is None) != digest.whole_programme or (
        recipient.lcp_ids is not None and tuple(recipient.lcp_ids) != digest.scope
    ):
        raise ValueError(f"{recipient.email} may receive {recipient.scope}, not {digest.scope_name}")
    email = render_email(digest)
    mail = MailSpec(
        to=(Recipient(recipient.name, recipient.email),), subject=email.subject, text=email.text, html=email.html
    )
    return Intent(
        key=digest_key(digest, recipient.email),
        kind="mail",
        purpose="digest",
        payload=mail_payload(mail),
        recipients=(recipient.email,),
        lcp_id=recipient.lcp_ids[0] if recipient.lcp_ids and len(recipient.lcp_ids) == 1 else None,
        stale_after=digest.week.next_start_utc,  # last week's digest is not worth sending once the next one is due
    )


def digest_intents(pairs: Iterable[tuple[DigestRecipient, Digest]]) -> Sequence[Intent]:
    return [digest_intent(recipient, digest) for recipient, digest in pairs]
