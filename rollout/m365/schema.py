"""Validate outgoing JSON bodies against the vendored Graph v1.0 subset schema.

A body that fails is a bug in this package, not a Graph failure: it raises `RequestSchemaError` before
anything is sent, and is never retried.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

# The $defs names the contracts README assigns to each request.
EVENT_CREATE = "eventCreate"
EVENT_PATCH = "microsoft.graph.event"
EVENT_CANCEL = "cancelEventRequest"
SEND_MAIL = "sendMailRequest"
MESSAGE = "microsoft.graph.message"


class RequestSchemaError(Exception):
    """The gateway built a request body Graph's schema rejects (a programming error)."""


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("rollout.contracts").joinpath("graph-v1-subset.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(definition: str) -> Draft202012Validator:
    schema = _schema()
    if definition not in schema["$defs"]:
        raise RequestSchemaError(f"no schema definition named {definition!r}")
    return Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})


def validate_body(definition: str, body: dict[str, Any]) -> None:
    errors = sorted(_validator(definition).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        detail = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:5])
        raise RequestSchemaError(f"request body does not match {definition}: {detail}")
