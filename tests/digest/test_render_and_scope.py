"""Who sees what, and partner-supplied text made safe: the rendered emails and the Markdown artifact."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.digest import DigestSet, compute_digests, digest_intents, render_email, render_markdown
from rollout.digest.recipients import DigestRecipient, digest_intent
from rollout.digest.render import md
from rollout.outbound.outbox import mail_spec
from tests.digest.conftest import AS_OF, NASTY, World


@pytest.fixture
def digests(world: World, sessions: sessionmaker[Session], programme: Programme) -> DigestSet:
    with sessions() as session:
        return compute_digests(session, programme, AS_OF)


def lead_digest(digests: DigestSet, lcp_id: str):  # type: ignore[no-untyped-def]
    return next(d for r, d in digests.by_recipient if r.lcp_ids == (lcp_id,))


def everything_sent(digests: DigestSet, lcp_id: str) -> str:
    """Subject, text and HTML of the one email the LCP's lead is queued, as stored in the outbox payload."""
    recipient, digest = next((r, d) for r, d in digests.by_recipient if r.lcp_ids == (lcp_id,))
    mail = mail_spec(digest_intent(recipient, digest).payload)
    return "\n".join([mail.subject, mail.text, mail.html, *(r.email for r in mail.to)])


def test_programme_managers_get_the_whole_programme_and_each_lead_only_their_lcp(
    digests: DigestSet, programme: Programme
) -> None:
    scopes = {r.email: r.lcp_ids for r, _ in digests.by_recipient}
    assert scopes["programme.manager@example.org"] is None
    assert scopes["central.lead@example.org"] == ("central",)
    assert len(scopes) == 1 + len(programme.lcps)
    central = lead_digest(digests, "central")
    assert [lcp.id for lcp in central.lcps] == ["central"]
    assert central.totals is None and central.scope_name == "Central"
    wave = central.waves[0]
    assert [w.id for w in central.waves] == ["wave-1"]
    assert wave.rsvp_by_lcp == ()  # no per-LCP table of others
    assert (wave.rsvp.accepted, wave.rsvp.declined, wave.rsvp.no_response) == (1, 0, 2)  # central's replies only


@pytest.mark.parametrize(
    ("lcp_id", "others"),
    [
        ("central", ("morley_orgs", "morley_contacts", "morley_action_titles")),
        ("morley", ("central_orgs", "central_contacts", "central_action_titles")),
        ("woodsley-holt-park", ("central_orgs", "central_contacts", "morley_orgs", "morley_contacts")),
    ],
)
def test_an_lcp_leads_email_never_names_another_lcps_partners(
    digests: DigestSet, world: World, lcp_id: str, others: tuple[str, ...]
) -> None:
    sent = everything_sent(digests, lcp_id)
    for group in others:
        for name in getattr(world, group):
            assert name not in sent and html.escape(name) not in sent, f"{name!r} leaked into {lcp_id}'s digest"
    assert "Morley Secret Pantry" in everything_sent(digests, "morley")  # the check can fail: own partners appear


def test_a_lead_for_two_lcps_gets_one_digest_covering_both(programme: Programme) -> None:
    from rollout.digest import digest_recipients

    lcps = list(programme.lcps)
    shared = lcps[1].model_copy(update={"lead": lcps[0].lead})
    edited = programme.model_copy(update={"lcps": [lcps[0], shared, *lcps[2:]]})
    recipients = {r.email: r for r in digest_recipients(edited)}
    assert recipients[str(lcps[0].lead.email)].lcp_ids == (lcps[0].id, lcps[1].id)
    assert len(recipients) == 1 + len(lcps) - 1


def test_an_intent_refuses_a_digest_wider_than_its_recipient(digests: DigestSet) -> None:
    lead = DigestRecipient("Central LCP lead", "central.lead@example.org", ("central",))
    with pytest.raises(ValueError, match="may receive central"):
        digest_intent(lead, digests.programme)


def test_partner_text_is_escaped_in_html_and_literal_in_text(digests: DigestSet) -> None:
    for digest in (digests.programme, lead_digest(digests, "central")):
        email = render_email(digest)
        assert "<script" not in email.html
    for digest in (lead_digest(digests, "central"),):  # the lead's digest names its stalled hub
        email = render_email(digest)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.html
        assert "<script" not in email.html
        assert NASTY in email.text
        assert "&lt;" not in email.text and "&amp;" not in email.text


def test_markdown_artifact_makes_partner_text_inert(digests: DigestSet) -> None:
    assert "<script" not in render_markdown(digests.programme)
    markdown = render_markdown(lead_digest(digests, "central"))
    assert "<script" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in markdown
    # A pipe cannot add a table column, and Markdown syntax in a name is shown, not applied.
    assert md("Tea | *Cake* [club](x)") == r"Tea \| \*Cake\* \[club\](x)"


class _Checker(HTMLParser):
    """Collects what would make an email unsafe or unreadable in Outlook."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        if tag not in {"meta", "br", "hr", "img", "link"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def test_html_is_outlook_friendly_tables_inline_styles_no_scripts_or_external_images(digests: DigestSet) -> None:
    for digest in (digests.programme, lead_digest(digests, "central")):
        page = render_email(digest).html
        checker = _Checker()
        checker.feed(page)
        assert checker.open == []  # every element is closed, in order
        assert not {"script", "img", "style", "link", "iframe", "svg", "form"} & checker.tags
        assert not {"src", "class", "onload", "onclick"} & checker.attributes
        assert "url(" not in page and "http" not in page
        assert "table" in checker.tags


def test_the_funnel_is_drawn_as_bars_proportional_to_the_counts(digests: DigestSet) -> None:
    page = render_email(digests.programme).html
    funnel = page.split("Hubs by stage")[1].split("Waves")[0]
    widths = [int(w) for w in re.findall(r'<td width="(\d+)" height="12" bgcolor="#005eb8"', funnel)]
    assert widths == [100, 200, 100]  # stages 1, 2, 3 hold 1, 2, 1 hubs; stage 4 (0) has no bar


def test_all_intents_are_mail_keyed_by_week_and_recipient(digests: DigestSet) -> None:
    intents = digest_intents(digests.by_recipient)
    keys = [i.key for i in intents]
    assert "digest:2022-10-17:programme.manager@example.org" in keys
    assert "digest:2022-10-17:central.lead@example.org" in keys
    assert len(set(keys)) == len(keys)
    assert {i.kind for i in intents} == {"mail"} and {i.purpose for i in intents} == {"digest"}
