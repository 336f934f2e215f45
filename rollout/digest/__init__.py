"""The weekly progress digest: figures from the database (pure once loaded), rendered per recipient.

state.load_state(session, lcp_ids, since)  -> ProgrammeState         a few bulk queries
figures.programme_digest / lcp_digest      -> Digest                 pure
render.render_email / render_markdown      -> email, Markdown
recipients.digest_recipients / digest_intents -> outbox Intents      one per recipient per week
snapshot.previous_baseline / store_snapshot                          week-over-week counters
"""

from rollout.digest.compose import DigestSet, compute_digests, preview_digest
from rollout.digest.figures import (
    Baseline,
    Count,
    Digest,
    LcpFigures,
    Totals,
    WaveFigures,
    lcp_digest,
    programme_digest,
)
from rollout.digest.recipients import DigestRecipient, digest_intents, digest_key, digest_recipients
from rollout.digest.render import render_email, render_markdown
from rollout.digest.snapshot import previous_baseline, store_snapshot
from rollout.digest.state import ProgrammeState, load_state
from rollout.digest.week import Week

__all__ = [
    "Baseline",
    "Count",
    "Digest",
    "DigestRecipient",
    "DigestSet",
    "LcpFigures",
    "ProgrammeState",
    "Totals",
    "WaveFigures",
    "Week",
    "compute_digests",
    "digest_intents",
    "digest_key",
    "digest_recipients",
    "lcp_digest",
    "load_state",
    "preview_digest",
    "previous_baseline",
    "programme_digest",
    "render_email",
    "render_markdown",
    "store_snapshot",
]
