"""Bounds every input shares with the database, written once: column lengths, day spans, counts, text rules.

The database models size their String columns from these constants and the config schema, the partner CSV and the
CLI check against the same ones, so what validates also fits (on PostgreSQL as on SQLite, which ignores lengths).
"""

from __future__ import annotations

import datetime as dt
import re

# Column lengths (rollout.db.types and rollout.db.models use these).
ID_LENGTH = 64  # ids from the config (LCPs, waves), short codes (sector, status)
NAME_LENGTH = 200  # names of organisations, people, waves, workshops; who recorded a change
EMAIL_LENGTH = 254  # RFC 5321's limit on an address
TITLE_LENGTH = 300  # an action's title, a venue
TOKEN_ID_LENGTH = 64
NOTE_LENGTH = 2000  # notes typed on the command line (the check-in page has its own, shorter limit)
DESCRIPTION_LENGTH = 4000  # a workshop's description, shown in the invitation body

# Whole-number bounds.
MAX_DAYS = 3653  # ten years: any day count in the config
MAX_ATTENDEES = 500  # Exchange's limit on attendees of one meeting; also caps lists of people and ids
MAX_NUMBERED = 100  # stages, workshops: numbered 1..n
MAX_ROW_ID = 2**31 - 1  # integer primary keys (PostgreSQL `integer`): no row can have a larger id

# Dates in the config: wide enough for any programme, narrow enough that date arithmetic cannot overflow.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)

# Config files.
MAX_CONFIG_BYTES = 1_000_000

# Characters refused in names, titles and addresses: C0 and C1 controls (CR, LF, NUL, ...), DEL, bidi embeddings,
# overrides and isolates, and the Unicode line and paragraph separators. Multi-line text (notes, descriptions)
# may keep TAB, LF and CR.
_OTHERS = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_SINGLE_LINE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_OTHERS}]")  # TAB, LF and CR allowed


def forbidden_character(value: str, multi_line: bool = False) -> str | None:
    """A description of the first refused character in `value` (e.g. "a line break (U+000A) at character 5")."""
    match = (_MULTI_LINE if multi_line else _SINGLE_LINE).search(value)
    if match is None:
        return None
    char = match.group()
    kind = "a line break" if char in "\r\n\u2028\u2029" else "a control character"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        kind = "a text-direction override"
    return f"{kind} (U+{ord(char):04X}) at character {match.start() + 1}"


def text_problem(value: str, max_length: int, multi_line: bool = False) -> str | None:
    """Why `value` cannot be stored as a name/title (too long, or a refused character), or None."""
    if len(value) > max_length:
        return f"is {len(value)} characters; at most {max_length}"
    found = forbidden_character(value, multi_line)
    return f"contains {found}" if found else None
