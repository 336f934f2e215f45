"""Recipient checks Exchange applies before anything is sent."""

from __future__ import annotations

import re

from graph_emulator.errors import ServiceError

# What Exchange resolves as an SMTP address: one @, no spaces or address punctuation, a domain with a dot. The
# emulator's own rule (it stands in for Microsoft's service and imports nothing from the product it tests).
_SMTP_ADDRESS = re.compile(r'^[^@\s<>(),;:"\[\]\\]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$')


def invalid_recipient(address: str) -> ServiceError:
    return ServiceError(
        400,
        "ErrorInvalidRecipients",
        f"At least one recipient is not valid., Recipient '{address}' is not resolved. "
        "All recipients must be resolved before a message can be submitted.",
    )


def check_address(address: str) -> str:
    """The address lower-cased, or 400 ErrorInvalidRecipients as Exchange answers for an unresolvable one."""
    trimmed = address.strip()
    if not _SMTP_ADDRESS.match(trimmed):
        raise invalid_recipient(address)
    return trimmed.lower()
