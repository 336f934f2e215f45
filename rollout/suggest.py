"""One way to say "did you mean …" for a mistyped name or id, used by the config loader and every command."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(text: str, choices: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices closest to `text`, best first, compared without regard to case or surrounding spaces."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.strip().casefold(), choice)
    found = difflib.get_close_matches(text.strip().casefold(), list(by_folded), n=n, cutoff=cutoff)
    return [by_folded[f] for f in found]


def did_you_mean(text: str, choices: Iterable[str], *, n: int = 3) -> str:
    """ " (did you mean 'x'?)", " (did you mean 'x' or 'y'?)", or "" when nothing is close."""
    found = close_matches(text, choices, n=n)
    if not found:
        return ""
    quoted = [repr(f) for f in found]
    options = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" (did you mean {options}?)"
