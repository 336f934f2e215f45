"""The slice of OData query handling Graph clients use: $top/$skip paging, $select, $filter, Prefer."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from graph_emulator.errors import ServiceError

T = TypeVar("T")
Predicate = Callable[[dict[str, Any], list[dict[str, Any]]], bool]

_STRING = r"'((?:[^']|'')*)'"
_FIELD_EQ = re.compile(rf"^(\w+)\s+eq\s+(?:{_STRING}|(true|false|null))$", re.IGNORECASE)
_EXT_ANY = re.compile(
    rf"^singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+{_STRING}"
    rf"(?:\s+and\s+\1/value\s+eq\s+{_STRING})?\s*\)$",
    re.IGNORECASE,
)
_EXPAND_EXT = re.compile(rf"^singleValueExtendedProperties\(\s*\$filter\s*=\s*id\s+eq\s+{_STRING}\s*\)$", re.I)


def invalid_filter() -> ServiceError:
    return ServiceError(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")


def prefer(headers: dict[str, str]) -> dict[str, str]:
    """Prefer header values by lower-cased name: outlook.timezone, outlook.body-content-type, idtype."""
    found: dict[str, str] = {}
    for part in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", headers.get("prefer", "")):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def top_and_skip(query: dict[str, str], default_top: int) -> tuple[int, int]:
    try:
        top = int(query.get("$top", default_top))
        skip = int(query.get("$skip", 0))
    except ValueError:
        raise ServiceError(400, "BadRequest", "Invalid $top or $skip value.") from None
    if top < 1 or top > 1000 or skip < 0:
        raise ServiceError(400, "BadRequest", "Invalid $top or $skip value.")
    return top, skip


def page(
    items: Sequence[T],
    render: Callable[[T], dict[str, Any]],
    query: dict[str, str],
    self_url: str,
    context: str,
    default_top: int,
) -> dict[str, Any]:
    """One page of `items` with an absolute @odata.nextLink, as Graph pages collections."""
    top, skip = top_and_skip(query, default_top)
    chunk = items[skip : skip + top]
    data: dict[str, Any] = {"@odata.context": context, "value": [select(render(x), query) for x in chunk]}
    if skip + top < len(items):
        following = {**query, "$top": str(top), "$skip": str(skip + top)}
        data["@odata.nextLink"] = self_url + "?" + urlencode(following, quote_via=quote, safe="$'(),:")
    return data


def select(data: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    chosen = query.get("$select")
    if not chosen:
        return data
    wanted = {name.strip().lower() for name in chosen.split(",") if name.strip()}
    wanted |= {"id", "@odata.etag", "singlevalueextendedproperties"}
    return {k: v for k, v in data.items() if k.lower() in wanted}


def with_extended(data: dict[str, Any], query: dict[str, str], extended: list[dict[str, Any]]) -> dict[str, Any]:
    """Graph returns extended properties only when asked:
    $expand=singleValueExtendedProperties($filter=id eq '...') adds the matching ones to `data`."""
    expand = query.get("$expand", "").strip()
    if not expand:
        return data
    match = _EXPAND_EXT.match(expand)
    if not match:
        raise ServiceError(400, "BadRequest", f"Parsing OData Select and Expand failed: '{expand}'.")
    wanted = _unquote(match.group(1)).lower()
    return {
        **data,
        "singleValueExtendedProperties": [dict(p) for p in extended if str(p["id"]).lower() == wanted],
    }


def merge_extended(existing: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A PATCH of singleValueExtendedProperties sets the named ones and keeps the rest (ids compare
    case-insensitively)."""
    by_id = {str(p["id"]).lower(): p for p in existing}
    for prop in incoming:
        by_id[str(prop["id"]).lower()] = {"id": str(prop["id"]), "value": prop.get("value")}
    return list(by_id.values())


def parse_filter(text: str | None) -> Predicate:
    """Conjunctions of `field eq 'value'` and `singleValueExtendedProperties/any(ep: ep/id eq '..' and
    ep/value eq '..')`, evaluated against an item's Graph JSON and its extended properties."""
    if not text or not text.strip():
        return lambda _data, _ext: True
    clauses = [_clause(c) for c in _split_and(text.strip())]
    return lambda data, ext: all(c(data, ext) for c in clauses)


def string_equalities(text: str | None) -> dict[str, str]:
    """The `field eq 'value'` clauses of a $filter conjunction, by lower-cased field name: lets a caller narrow
    a large collection cheaply before the full predicate (parse_filter) is applied to what is left."""
    if not text or not text.strip():
        return {}
    found: dict[str, str] = {}
    for clause in _split_and(text.strip()):
        while clause.startswith("(") and clause.endswith(")") and _balanced(clause[1:-1]):
            clause = clause[1:-1].strip()
        match = _FIELD_EQ.match(clause)
        if match and match.group(2) is not None:
            found[match.group(1).lower()] = _unquote(match.group(2))
    return found


def _clause(text: str) -> Predicate:
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    field_eq = _FIELD_EQ.match(text)
    if field_eq:
        name, string, literal = field_eq.group(1), field_eq.group(2), field_eq.group(3)
        expected: Any = (
            _unquote(string) if string is not None else {"true": True, "false": False}.get((literal or "").lower())
        )

        def equals(data: dict[str, Any], _ext: list[dict[str, Any]]) -> bool:
            actual = next((v for k, v in data.items() if k.lower() == name.lower()), None)
            if isinstance(actual, str) and isinstance(expected, str):
                return actual.lower() == expected.lower()  # Exchange compares strings case-insensitively
            return bool(actual == expected)

        return equals
    ext_any = _EXT_ANY.match(text)
    if ext_any:
        prop_id = _unquote(ext_any.group(2)).lower()
        value = _unquote(ext_any.group(3)) if ext_any.group(3) is not None else None

        def has_property(_data: dict[str, Any], ext: list[dict[str, Any]]) -> bool:
            return any(str(p["id"]).lower() == prop_id and (value is None or p.get("value") == value) for p in ext)

        return has_property
    raise invalid_filter()


def _split_and(text: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    lowered = text.lower()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and lowered.startswith(" and ", i):
            parts.append(text[start:i].strip())
            start = i + 5
            i += 4
        i += 1
    parts.append(text[start:].strip())
    if any(not p for p in parts) or depth != 0 or quoted:
        raise invalid_filter()
    return parts


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _unquote(value: str) -> str:
    return value.replace("''", "'")
