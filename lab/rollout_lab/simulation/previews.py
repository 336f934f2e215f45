"""Digest previews: each week's programme digest and one LCP lead's, as the HTML that was emailed.

Written from the outbox rows the weekly-digest flow queued (the email exactly as sent), to
<simulation dir>/digests/<week start>-programme.html and <week start>-<lcp>.html, with an index.html.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme
from rollout.db import models
from rollout.digest import Week, digest_recipients
from rollout.files import private_dir, write_private


def preview_lcp(programme: Programme) -> str:
    """The LCP whose lead's digest is previewed: the first LCP of the first wave."""
    return programme.waves[0].lcps[0]


def write_week(session: Session, programme: Programme, as_of: dt.datetime, folder: Path) -> list[Path]:
    """The week's two previews (those that were queued), written to `folder`."""
    week = Week.of(as_of, programme.programme.timezone)
    lcp = preview_lcp(programme)
    wanted: dict[str, str] = {}
    for recipient in digest_recipients(programme):
        if recipient.lcp_ids is None and "programme" not in wanted.values():
            wanted[recipient.email.lower()] = "programme"
        elif recipient.lcp_ids is not None and lcp in recipient.lcp_ids:
            wanted.setdefault(recipient.email.lower(), lcp)
    keys = {f"digest:{week.start.isoformat()}:{email}": name for email, name in wanted.items()}
    written = []
    private_dir(folder)
    Ob = models.OutboundMessage
    for key, payload in session.execute(select(Ob.idempotency_key, Ob.payload).where(Ob.idempotency_key.in_(keys))):
        path = folder / f"{week.start.isoformat()}-{keys[key]}.html"
        write_private(path, str(payload.get("html", "")))
        written.append(path)
    return written


def write_index(folder: Path, title: str) -> Path:
    pages = sorted(folder.glob("*.html"))
    weeks: dict[str, list[Path]] = {}
    for page in pages:
        if page.name != "index.html":
            weeks.setdefault(page.name[:10], []).append(page)
    rows = "\n".join(
        f"<li>week of {html.escape(week)}: "
        + ", ".join(f'<a href="{html.escape(p.name)}">{html.escape(p.stem[11:])}</a>' for p in sorted(files))
        + "</li>"
        for week, files in sorted(weeks.items())
    )
    index = folder / "index.html"
    write_private(
        index,
        f"<!doctype html>\n<meta charset='utf-8'>\n<title>{html.escape(title)}</title>\n"
        f"<h1>{html.escape(title)}</h1>\n<ul>\n{rows}\n</ul>\n",
    )
    return index
