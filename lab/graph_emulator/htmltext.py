"""Plain-text alternatives for HTML bodies, as Exchange generates them when a client sends only HTML."""

from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "a" and self._links:
            # Outlook's text alternative keeps link targets, e.g. "Join the meeting now <https://...>".
            href = self._links.pop()
            if href and not href.startswith("mailto:"):
                self.parts.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


@functools.lru_cache(maxsize=512)
def html_to_text(markup: str) -> str:
    """The text a mail client shows for `markup`. Cached: an event's body is converted again each time the event is
    read (every bodyPreview), and the same few bodies are read thousands of times in a simulation."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    text = "".join(collector.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    return "<html><body>" + html.escape(text).replace("\n", "<br>\n") + "</body></html>"
