"""The digest as an email (templates/emails/weekly_digest/) and as Markdown for the Prefect artifact.

Partner-supplied text (organisation names, action titles, contact names) is escaped in HTML by the template
environment's autoescaping and in Markdown by `md()`; the plain-text body shows it as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rollout.attendance.figures import attendance_markdown
from rollout.digest.figures import LONG_OVERDUE_DAYS, Count, Digest, Rsvp, StageBar
from rollout.outbound.emails import RenderedEmail, render

TEMPLATE = "weekly_digest"
LIST_LIMIT = 8  # rows per list in an email; the rest are counted ("and 4 more")


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
        "long_overdue_days": LONG_OVERDUE_DAYS,
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
    return f"accepted {r.accepted}, tentative {r.tentative}, declined {r.declined}, no reply yet {r.no_response}"


def _funnel(bars: Sequence[StageBar]) -> list[str]:
    largest = max((b.hubs.now for b in bars), default=0)
    lines = ["| Stage | Hubs | |", "|---|---:|---|"]
    lines += [
        f"| {b.number} {md(b.title)} | {b.hubs.now}{_ch(b.hubs)} | {text_bar(b.hubs.now, largest, 20)} |" for b in bars
    ]
    return lines


def _attention(d: Digest) -> list[str]:
    a = d.attention
    if a.empty:
        return ["Nothing needs your attention this week.", ""]
    out = []
    for r in a.low_rsvps:
        out.append(
            f"- **Few replies for the next workshop:** {md(r.title)} ({md(r.wave_name)}, {r.when}). "
            f"{r.replied} of {r.invited} people invited have replied; {r.accepted} accepted."
        )
    if a.new_stalls:
        hubs = "; ".join(f"{md(s.organisation)} ({md(lcp)}: {s.why})" for lcp, s in a.new_stalls)
        out.append(f"- **{len(a.new_stalls)} hubs stalled this week:** {hubs}.")
    if a.escalations:
        out.append(f"- **{len(a.escalations)} escalations new this week or with the programme manager:**")
        out += [
            f"  - {md(e.organisation)} ({md(e.lcp_name)}): {e.reason} since {e.stalled_since:%d %b %Y}; "
            f"level {e.level}, {e.notified}{'; new' if e.opened_recently else ''}"
            for e in a.escalations
        ]
    if a.overdue_by_lcp:
        long = sum(n for _, _, n in a.overdue_by_lcp)
        by_lcp = " · ".join(f"{md(name)} {n}" for name, n, _ in a.overdue_by_lcp)
        late = f" {long} of them are more than {LONG_OVERDUE_DAYS} days late." if long else ""
        out.append(f"- **{a.overdue_total} follow-up actions overdue:** {by_lcp}.{late}")
    if a.role_gaps:
        gaps = "; ".join(f"{md(name)}: {md(', '.join(g))}" for name, g in a.role_gaps)
        out.append(f"- **Roles with no partner** in LCPs of a running wave: {gaps}.")
    return [*out, ""]


def render_markdown(digest: Digest) -> str:
    """The digest for the Prefect UI, in the email's order: attention first, then figures, waves, LCPs."""
    d = digest
    out = [
        f"# Weekly digest: week of {d.week_text}",
        "",
        f"{'The whole programme' if d.whole_programme else 'For ' + md(d.scope_name)}, as of {d.as_of_text}. "
        f"{d.compared_text}",
        "",
        "## Needs your attention",
        "",
        *_attention(d),
    ]
    if d.totals is not None:
        t = d.totals
        out += ["## This week in numbers", "", "| Figure | Now |", "|---|---:|"]
        out += [
            f"| {label} | {count.now}{_ch(count)} |"
            for label, count in (
                ("Partner organisations", t.partners),
                ("Digital Health Hubs", t.hubs),
                ("Workshops held", t.workshops_done),
                ("People invited to workshops (one per person per workshop)", t.people_invited),
                ("People who replied to their invitation", t.people_replied),
                ("Follow-up actions done", t.actions_done),
                ("Follow-up actions overdue", t.actions_overdue),
                ("Open escalations", t.open_escalations),
                ("Roles with no partner, summed over LCPs", t.role_gaps),
                ("Messages delivered (an email, or one workshop's calendar invitation)", t.messages_sent),
                ("Messages that failed", t.messages_failed),
            )
        ]
        out += [f"| Messages waiting / dropped | {t.messages_waiting} / {t.messages_dropped} |"]
        out += [f"| People who opted out of programme emails this week | {t.opted_out_this_week} |", ""]
        out += ["## Hubs by stage", "", *_funnel(t.funnel), ""]
    out += ["## Waves", "", "| Wave | Status | LCPs | Next workshop |", "|---|---|---|---|"]
    for w in d.waves:
        following = f"{md(w.next_workshop.title)}, {w.next_workshop.when}" if w.next_workshop else ""
        out.append(f"| {md(w.name)} | {w.status_text} | {md(', '.join(w.lcp_names))} | {following} |")
    out.append("")
    for w in d.waves:
        if w.next_workshop and w.rsvp.total:
            out += [f"Replies for {md(w.next_workshop.title)} ({md(w.name)}): {_rsvp(w.rsvp)}", ""]
            out += [f"- {md(name)}: {r.replied} of {r.total} replied ({_rsvp(r)})" for name, r in w.rsvp_by_lcp]
            out.append("")
    if d.whole_programme:
        out += [
            "## LCPs",
            "",
            "| LCP | Wave | Partners | Hubs | Moved this week | Actions overdue | Escalations | Roles uncovered |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for lcp in d.lcps:
            out.append(
                f"| {md(lcp.name)} | {md(lcp.wave_name or '')} | {lcp.partners.now}{_ch(lcp.partners)} | "
                f"{lcp.hubs.now}{_ch(lcp.hubs)} | {len(lcp.movements)} | "
                f"{lcp.actions_overdue.now}{_ch(lcp.actions_overdue)} | {lcp.open_escalations.now} | "
                f"{lcp.role_gaps.now} |"
            )
        out.append("")
        return _ending(out, d)
    for lcp in d.lcps:
        out += [
            f"## {md(lcp.name)} LCP",
            "",
            f"{lcp.partners.now} partners{_ch(lcp.partners)}, {lcp.hubs.now} hubs{_ch(lcp.hubs)}. Follow-up actions: "
            f"{lcp.actions_done.now} done, {lcp.actions_overdue.now} overdue, "
            f"{len(lcp.due_soon)} due in the next 7 days.",
            "",
            *_funnel(lcp.funnel),
            "",
        ]
        if lcp.recent_overdue:
            out += ["| Owner | Overdue action | Due | Days late |", "|---|---|---|---:|"]
            out += [f"| {md(x.owner)} | {md(x.title)} | {x.due_date} | {x.days_overdue} |" for x in lcp.recent_overdue]
            out.append("")
        if lcp.long_overdue:
            out += [f"{lcp.long_overdue} more actions are more than {LONG_OVERDUE_DAYS} days late.", ""]
        for mv in lcp.movements:
            became = f"became a hub at stage {mv.to_stage}"
            move = became if mv.from_stage is None else f"{mv.from_stage} to {mv.to_stage}"
            out.append(f"- moved: {md(mv.organisation)}: {move} ({mv.on})")
        for st in lcp.stalled:
            out.append(f"- stalled: {md(st.organisation)}: {st.why}")
        gaps = ", ".join(lcp.gaps)
        out += ["", f"**Roles:** {'no partner yet for ' + md(gaps) if gaps else 'every role has a partner'}.", ""]
    return _ending(out, d)


def _ending(out: list[str], d: Digest) -> str:
    if d.attendance is not None:
        out += [*attendance_markdown(d.attendance, limit=10), ""]
    return "\n".join(out).rstrip() + "\n"
