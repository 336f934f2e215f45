"""One way to say "did you mean …" for a mistyped name or id, used by the config loader and every command."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MARGIN = 0.1  # suggestions this much less similar than the best are left out


def close_matches(text: str, choices: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices closest to `text` (difflib's similarity ratio at least `cutoff`), best first, compared without
    regard to case or surrounding spaces."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.strip().casefold(), choice)
    target = text.strip().casefold()
    scored = []
    for order, (folded, choice) in enumerate(by_folded.items()):
        score = difflib.SequenceMatcher(None, target, folded).ratio()
        if score >= cutoff:
            scored.append((-score, order, choice))
    scored.sort()  # best first; equally close ones in the order they were given
    if not scored:
        return []
    best = -scored[0][0]
    # Only the clear favourites: 'moreley' suggests 'morley', not also the more distant 'armley'.
    return [choice for negative, _, choice in scored[:n] if best + negative <= MARGIN]


def did_you_mean(text: str, choices: Iterable[str], *, n: int = 3) -> str:
    """ " (did you mean 'x'?)", " (did you mean 'x' or 'y'?)", or "" when nothing is close."""
    found = close_matches(text, choices, n=n)
    if not found:
        return ""
    quoted = [repr(f) for f in found]
    options = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" (did you mean {options}?)"
