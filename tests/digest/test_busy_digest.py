"""The digest at the programme's busiest (11 LCPs): read in two minutes, under Gmail's clipping size, written well."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db.session import unit_of_work
from rollout.digest import Digest, preview_digest, render_email, render_markdown
from rollout.outbound.emails import RenderedEmail
from rollout.programme.progress import create_hub
from tests.digest.busy import BUSY_AS_OF, build_busy
from tests.digest.conftest import AS_OF, World, local, org

GMAIL_CLIPS_AT = 102 * 1024
SPACE_BEFORE_PUNCTUATION = re.compile(r"\s[,.;:](?!\d)")  # "7 partners , 2 hubs ." (not "10:00" or ".5")


class _Text(HTMLParser):
    """The words a reader sees in the HTML part (the <head> left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_head = self.in_head or tag == "head"
        if tag in {"br", "p", "li", "tr", "td", "th", "h1", "h2", "table"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.in_head = self.in_head and tag != "head"

    def handle_data(self, data: str) -> None:
        if not self.in_head:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(" ".join(line.split()) for line in "".join(parser.parts).splitlines() if line.strip())


@pytest.fixture
def busy(sessions: sessionmaker[Session], programme: Programme) -> dict[str, Digest]:
    with unit_of_work(sessions) as session:
        build_busy(session, programme)
    with sessions() as session:
        return {
            name: preview_digest(session, programme, BUSY_AS_OF, lcp)
            for name, lcp in (("manager", None), ("central", "central"), ("armley", "armley"), ("seacroft", "seacroft"))
        }


def test_the_busiest_week_is_under_gmails_clipping_size_with_one_row_per_lcp(busy: dict[str, Digest]) -> None:
    email = render_email(busy["manager"])
    assert len(email.html.encode()) < 100_000 < GMAIL_CLIPS_AT
    text = visible_text(email.html)
    lcp_table = text.split("\nLCPs\n")[1]
    for name in ("Central", "Wetherby", "Bramley, Wortley and Middleton"):
        assert lcp_table.count(name) == 1
    assert "Community Organisation 12" not in email.html  # the manager's digest summarises, never lists partners


def test_needs_your_attention_comes_first_with_overdue_actions_by_lcp_as_counts(busy: dict[str, Digest]) -> None:
    text = visible_text(render_email(busy["manager"]).html)
    assert text.index("Needs your attention") < text.index("This week in numbers") < text.index("Hubs by stage")
    attention = text.split("Needs your attention")[1].split("This week in numbers")[0]
    assert "212 follow-up actions overdue: Central 60 · Woodsley & Holt Park 60 · Morley 60 · Armley 8" in attention
    assert "180 of them are more than 60 days late." in attention
    assert "Few replies for the next workshop: Developing your hub: supporting digital inclusion" in attention
    assert "48 of 120 people invited have replied" in attention
    assert (
        "hubs stalled this week" in attention and "escalations new this week or with the programme manager" in attention
    )
    assert "Roles with no partner in LCPs of a running wave: Armley: Supporting connectivity" in attention


def test_figures_count_people_and_messages_separately(busy: dict[str, Digest]) -> None:
    email = render_email(busy["manager"])
    for part in (visible_text(email.html), email.text):
        assert "Invitations sent" not in part and "Emails and invitations delivered" not in part
        assert "People invited to workshops (one per person per workshop)" in part
        assert "People who replied to their invitation" in part
        assert "Messages delivered (an email, or one workshop's calendar invitation)" in part


def test_actions_overdue_for_months_are_counted_not_listed_every_week(busy: dict[str, Digest]) -> None:
    email = render_email(busy["central"])
    assert "Follow-up action from workshop 1" not in email.html  # due Oct 2022: 200 days late
    assert "60 more actions are more than 60 days late (not listed)." in visible_text(email.html)
    assert "60 more actions are more than 60 days late (not listed)." in email.text


def test_an_lcp_lead_gets_their_own_lcp_only(busy: dict[str, Digest]) -> None:
    email = render_email(busy["armley"])
    assert "Armley Community Organisation" in email.html
    for other in ("Central", "Morley", "Seacroft", "Otley and Aireborough Community"):
        assert f"{other} Community Organisation" not in email.html and other + " Community" not in email.text


def test_no_space_before_punctuation_in_any_part(busy: dict[str, Digest]) -> None:
    for name, digest in busy.items():
        email = render_email(digest)
        for part_name, part in (("html", visible_text(email.html)), ("text", email.text)):
            found = [line for line in part.splitlines() if SPACE_BEFORE_PUNCTUATION.search(line)]
            assert not found, f"{name} {part_name}: {found[:3]}"
        markdown = render_markdown(digest)
        assert not SPACE_BEFORE_PUNCTUATION.search(markdown.replace("| ", "|").replace(" |", "|")), name


def test_a_wave_never_says_finished_and_not_launched_at_once(busy: dict[str, Digest]) -> None:
    wave = busy["manager"].waves[0]
    never_launched = dataclasses.replace(wave, workshops=(), state="finished")
    assert never_launched.status_text == "ended 31 Mar 2023 without being launched"
    assert wave.status_text == "finished 31 Mar 2023, 6 of 6 workshops held"
    text = visible_text(render_email(busy["manager"]).html)
    assert "starts 1 Oct 2023, not launched yet" in text  # wave 3
    assert not re.search(r"finished.*not launched|not launched.*finished", text)


def test_importing_partners_is_not_hub_progress(
    sessions: sessionmaker[Session], programme: Programme, world: World
) -> None:
    with unit_of_work(sessions) as session:
        row = org(session, "morley", "Imported Hub", "third_sector", ["motivating"], ("Ivy", "ivy@example.org", True))
        create_hub(session, row, 2, by="import", source="import", at=local(2022, 10, 15))
    with sessions() as session:
        digest = preview_digest(session, programme, AS_OF, "morley")
    (morley,) = digest.lcps
    assert [m.organisation for m in morley.movements] == ["Morley Secret Pantry"]  # the check-in move only
    assert "Imported Hub" not in render_email(digest).text.split("Moved this week")[1].split("\n")[0]


@pytest.mark.slow
def test_the_busiest_digest_is_about_two_screens_in_chromium(busy: dict[str, Digest], tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    heights = {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 800, "height": 1000})
        for name, digest in busy.items():
            email: RenderedEmail = render_email(digest)
            path = tmp_path / f"digest-{name}.html"
            path.write_text(email.html, encoding="utf-8")
            page.goto(path.as_uri())
            heights[name] = page.evaluate("document.documentElement.scrollHeight")
            assert page.evaluate("document.documentElement.scrollWidth") <= 800, f"{name} overflows 800 px"
            page.screenshot(path=str(tmp_path / f"digest-{name}.png"), full_page=True)
        browser.close()
    print(f"digest screenshots in {tmp_path}: heights {heights}")
    assert heights["manager"] < 2600  # before this change: about 20,000 px on the same fixture
