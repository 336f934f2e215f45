"""One definition of a usable email address, shared by the config and the partner import."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")


def normalise_email(value: str) -> str:
    """Trimmed and lower-cased; raises ValueError naming the value when it is not an address."""
    address = value.strip()
    if len(address) > 254 or ".." in address or not _ADDRESS.match(address):
        raise ValueError(f"{value!r} is not a valid email address")
    return address.lower()


Email = Annotated[str, AfterValidator(normalise_email)]
