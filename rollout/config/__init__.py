"""The programme as data: config/waves.toml, validated."""

from rollout.config.load import DEFAULT_CONFIG_PATH, load_programme
from rollout.config.schema import (
    ActionRule,
    Audience,
    DueRule,
    EscalationLevel,
    Lcp,
    Programme,
    Wave,
    WorkshopSpec,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ActionRule",
    "Audience",
    "DueRule",
    "EscalationLevel",
    "Lcp",
    "Programme",
    "Wave",
    "WorkshopSpec",
    "load_programme",
]
