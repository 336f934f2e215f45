"""Recipient checks Exchange applies before anything is sent."""

from __future__ import annotations

from graph_emulator.errors import ServiceError
from rollout.partners.addresses import normalise_email


def invalid_recipient(address: str) -> ServiceError:
    return ServiceError(
        400,
        "ErrorInvalidRecipients",
        f"At least one recipient is not valid., Recipient '{address}' is not resolved. "
        "All recipients must be resolved before a message can be submitted.",
    )


def check_address(address: str) -> str:
    """The address lower-cased, or 400 ErrorInvalidRecipients as Exchange answers for an unresolvable one."""
    try:
        return normalise_email(address)
    except ValueError:
        raise invalid_recipient(address) from None
