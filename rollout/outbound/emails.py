"""Render emails from templates/emails/<name>/{subject.txt, body.txt, body.html}, shipped as rollout.templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def template_names() -> list[str]:
    folder = resources.files("rollout.templates").joinpath("emails")
    return sorted(p.name for p in folder.iterdir() if p.joinpath("subject.txt").is_file())


def render(name: str, **context: Any) -> RenderedEmail:
    env = _environment()
    subject = env.get_template(f"{name}/subject.txt").render(**context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=env.get_template(f"{name}/body.txt").render(**context).strip() + "\n",
        html=env.get_template(f"{name}/body.html").render(**context),
    )


def local_when(start: dt.datetime, end: dt.datetime, timezone: str, label: str | None = None) -> str:
    """'Tuesday 11 October 2022, 10:00–12:00 (UK time)': wall-clock time where the workshop happens."""
    zone = ZoneInfo(timezone)
    first, last = start.astimezone(zone), end.astimezone(zone)
    return f"{long_date(first)}, {first:%H:%M}–{last:%H:%M} ({label or timezone})"


def short_when(start: dt.datetime, timezone: str) -> str:
    """'Tue 15 Nov 10:00': a workshop's local start, short enough for a subject line."""
    local = start.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def long_date(value: dt.date | dt.datetime) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("rollout.templates", "emails"),
        # Only HTML is escaped: subjects and plain-text bodies must show partner text as typed.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    return env
