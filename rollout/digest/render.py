"""The digest as an email (templates/emails/weekly_digest/) and as Markdown for the Prefect artifact.

Partner-supplied text (organisation names, action titles, contact names) is escaped in HTML by the template
environment's autoescaping and in Markdown by `md()`; the plain-text body shows it as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rollout.attendance.figures import attendance_markdown
from rollout.digest.figures import Count, Digest, LcpFigures, Rsvp, StageBar, Totals, WaveFigures
from rollout.outbound.emails import RenderedEmail, render

TEMPLATE = "weekly_digest"
LIST_LIMIT = 15  # rows per list in an email; the rest are counted ("and 4 more")


def bar_width(value: int, largest: int, full: int) -> int:
    """Pixels (or characters) for `value` on a bar where `largest` fills `full`; never 0 for a non-zero value."""
    if value <= 0 or largest <= 0:
        return 0
    return max(1 if full < 40 else 4, round(full * value / largest))


def text_bar(value: int, largest: int, full: int) -> str:
    return "█" * bar_width(value, largest, full)


def email_context(digest: Digest) -> dict[str, Any]:
    return {
        "programme_name": digest.programme_name,
        "digest": digest,
        "bar_width": bar_width,
        "text_bar": text_bar,
        "limit": LIST_LIMIT,
    }


def render_email(digest: Digest) -> RenderedEmail:
    return render(TEMPLATE, **email_context(digest))


# -- Markdown --------------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md(text: object) -> str:
    """Partner text made inert in Markdown: HTML escaped, Markdown syntax and table pipes backslashed."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", " ".join(escaped.split()))


def _ch(count: Count) -> str:
    return f" ({count.change})" if count.change else ""


def _rsvp(r: Rsvp) -> str:
    return f"accepted {r.accepted}, tentative {r.tentative}, declined {r.declined}, no response {r.no_response}"


def _funnel(bars: Sequence[StageBar]) -> list[str]:
    largest = max((b.hubs.now for b in bars), default=0)
    lines = ["| Stage | Hubs | |", "|---|---:|---|"]
    lines += [
        f"| {b.number}. {md(b.title)} | {b.hubs.now}{_ch(b.hubs)} | {text_bar(b.hubs.now, largest, 20)} |" for b in bars
    ]
    return lines


def render_markdown(digest: Digest) -> str:
    """The whole digest for the Prefect UI: every list in full, no cap."""
    d = digest
    out = [
        f"# Weekly digest: week of {d.week_text}",
        "",
        f"{'The whole programme' if d.whole_programme else 'For ' + md(d.scope_name)}, as of {d.as_of_text}. "
        f"{d.compared_text}",
        "",
    ]
    if d.totals is not None:
        out += _md_totals(d.totals)
    out += ["## Workshops", ""]
    for w in d.waves:
        out += _md_wave(w, d.time_label)
    if d.whole_programme:
        out += _md_lcp_table(d.lcps)
    for lcp in d.lcps:
        if d.whole_programme and not lcp.has_activity:
            continue
        out += _md_lcp(lcp)
    if d.attendance is not None:
        out += [*attendance_markdown(d.attendance, limit=10), ""]
    return "\n".join(out).rstrip() + "\n"


def _md_totals(t: Totals) -> list[str]:
    out = ["## At a glance", "", "| Figure | Now |", "|---|---:|"]
    out += [
        f"| {label} | {count.now}{_ch(count)} |"
        for label, count in (
            ("Partner organisations", t.partners),
            ("Digital Health Hubs", t.hubs),
            ("Workshops held", t.workshops_done),
            ("Follow-up actions done", t.actions_done),
            ("Follow-up actions overdue", t.actions_overdue),
            ("Open escalations", t.open_escalations),
            ("Role gaps", t.role_gaps),
            ("Invitations sent", t.invitations_sent),
            ("Messages delivered", t.messages_sent),
            ("Messages failed", t.messages_failed),
        )
    ]
    out += [
        f"| Active partner contacts | {t.active_contacts} |",
        f"| Messages waiting / dropped | {t.messages_waiting} / {t.messages_dropped} |",
        "",
    ]
    return [*out, "## Hub funnel", "", *_funnel(t.funnel), ""]


def _md_wave(w: WaveFigures, time_label: str) -> list[str]:
    out = [f"### {md(w.name)} ({w.state})", "", f"{w.start} to {w.end}; LCPs: {md(', '.join(w.lcp_names))}", ""]
    if not w.launched:
        return [*out, "Not launched yet.", ""]
    out += [f"{w.workshops_done.now} held{_ch(w.workshops_done)}, {w.workshops_upcoming} to come.", ""]
    out += [f"| # | Workshop | When ({md(time_label)}) | Status |", "|---:|---|---|---|"]
    for x in w.workshops:
        status = {"done": "held", "upcoming": "to come"}.get(x.state, x.state)
        if w.next_workshop and x.number == w.next_workshop.number:
            status = "**next**"
        out.append(f"| {x.number} | {md(x.title)} | {x.when} | {status} |")
    out.append("")
    if w.next_workshop:
        out += [f"Replies for the next workshop: {_rsvp(w.rsvp)}", ""]
        out += [f"- {md(name)}: {_rsvp(r)}" for name, r in w.rsvp_by_lcp]
        out.append("")
    return out


def _md_lcp_table(lcps: Sequence[LcpFigures]) -> list[str]:
    out = ["## LCPs at a glance", "", "| LCP | Partners | Hubs | Overdue | Escalations | No partner for |"]
    out.append("|---|---:|---:|---:|---:|---|")
    for lcp in lcps:
        out.append(
            f"| {md(lcp.name)} | {lcp.partners.now}{_ch(lcp.partners)} | {lcp.hubs.now}{_ch(lcp.hubs)} | "
            f"{lcp.actions_overdue.now}{_ch(lcp.actions_overdue)} | {lcp.open_escalations.now} | "
            f"{md(', '.join(lcp.gaps)) or 'all covered'} |"
        )
    out.append("")
    return out


def _md_lcp(lcp: LcpFigures) -> list[str]:
    out = [
        f"## {md(lcp.name)} LCP",
        "",
        f"LCP lead: {md(lcp.lead_name)}. {lcp.partners.now} partners, {lcp.hubs.now} hubs.",
        "",
    ]
    if lcp.next_workshop:
        out += [f"**Next workshop:** {md(lcp.next_workshop.title)}, {lcp.next_workshop.when}: {_rsvp(lcp.rsvp)}"]
        if lcp.awaiting_reply:
            out.append(f"No reply yet from: {md('; '.join(lcp.awaiting_reply))}")
        out.append("")
    out += [
        f"**Follow-up actions:** {lcp.actions_done.now} done{_ch(lcp.actions_done)} "
        f"({lcp.actions_done_recently} in the last 7 days), {lcp.actions_overdue.now} overdue"
        f"{_ch(lcp.actions_overdue)}, {len(lcp.due_soon)} due in the next 7 days.",
        "",
    ]
    for heading, lines in (("Overdue", lcp.overdue), ("Due in the next 7 days", lcp.due_soon)):
        if lines:
            out += [f"{heading}:", "", "| Owner | Action | Due | Days overdue |", "|---|---|---|---:|"]
            out += [f"| {md(a.owner)} | {md(a.title)} | {a.due_date} | {a.days_overdue} |" for a in lines]
            out.append("")
    out += ["**Hubs**", "", *_funnel(lcp.funnel), ""]
    out += _md_hub_events(lcp)
    gaps = ", ".join(lcp.gaps)
    return [*out, "", f"**Role coverage:** {'no partner for ' + md(gaps) if gaps else 'every role has a partner'}.", ""]


def _md_hub_events(lcp: LcpFigures) -> list[str]:
    """Hubs that moved, stalled hubs and their escalations, one line each."""
    out: list[str] = []
    for mv in lcp.movements:
        move = f"became a hub at stage {mv.to_stage}" if mv.from_stage is None else f"{mv.from_stage} → {mv.to_stage}"
        out.append(f"- moved: {md(mv.organisation)}: {move} ({mv.on})")
    for s in lcp.stalled:
        out.append(f"- stalled: {md(s.organisation)}: {md(s.why)}")
    for e in lcp.escalations:
        out.append(
            f"- escalation: {md(e.organisation)}: {e.reason} since {e.stalled_since}, level {e.level} "
            f"({e.notified}), {e.status}"
        )
    return out
