"""Request-body validation against the vendored Graph v1.0 subset, as Graph rejects.

The schema file beside this module is the same file as rollout/contracts/ (tests/emulator/test_contract_copy.py):
the emulator keeps its own copy because it never imports rollout.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from graph_emulator.errors import ServiceError

_SCHEMA_PATH = Path(__file__).resolve().parent / "graph-v1-subset.schema.json"


@functools.cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator(definition: str) -> Draft202012Validator:
    schema = _schema()
    if definition not in schema["$defs"]:
        raise KeyError(definition)
    return Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})


def validate(body: Any, definition: str, type_name: str) -> None:
    """Raise a 400 in Graph's words for the first problem found; `type_name` is how Graph names the type."""
    if not isinstance(body, dict):
        raise ServiceError(400, "RequestBodyRead", "Unable to read JSON request payload.")
    # best_match descends into anyOf alternatives, so a bad attendee is reported at the attendee's field.
    error = best_match(_validator(definition).iter_errors(body))
    if error is None:
        return
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    if error.validator == "additionalProperties":
        # Graph's OData reader names the first unknown property and the type it was read as.
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known and not k.startswith("@"))
        name = extra[0] if extra else where
        csdl = str(error.schema.get("x-csdl", ""))
        if csdl.startswith("Action "):
            operation = csdl.split()[1].split("(")[0]
            raise ServiceError(
                400,
                "RequestBodyRead",
                f"The parameter '{name}' in the request payload is not a valid parameter for the operation "
                f"'{operation}'.",
            )
        named = re.search(r"microsoft\.graph\.\w+", csdl)
        if named:
            type_name = named.group(0)
        raise ServiceError(
            400,
            "RequestBodyRead",
            f"The property '{name}' does not exist on type '{type_name}'. Make sure to only use property "
            "names that are defined by the type or mark the type as open type.",
        )
    if error.validator in ("type", "anyOf", "pattern", "enum"):
        raise ServiceError(
            400,
            "RequestBodyRead",
            f"Cannot convert the literal '{error.instance}' to the expected type at '{where}'.",
        )
    raise ServiceError(400, "ErrorInvalidRequest", f"Invalid request at '{where}': {error.message}")
