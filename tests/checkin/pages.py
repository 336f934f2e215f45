"""Reading the check-in pages as a person would."""

from __future__ import annotations

import html
import re

import httpx


def visible(response: httpx.Response) -> str:
    """The page's text without markup, entities decoded, whitespace collapsed."""
    body = re.sub(r"<style>.*?</style>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]
