"""The privacy notice: every partner email links to it, so a real tenant is never sent to without one."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from rollout.config.schema import Programme
from rollout.errors import InputError

REAL_GRAPH_HOSTS = ("graph.microsoft.com",)


def sends_to_real_tenant(env: Mapping[str, str]) -> bool:
    """ROLLOUT_GRAPH_URL unset (the default is Microsoft Graph) or pointing at Microsoft Graph itself."""
    url = env.get("ROLLOUT_GRAPH_URL", "").strip()
    return not url or (urlsplit(url).hostname or "").lower() in REAL_GRAPH_HOSTS


def require_privacy_notice(programme: Programme, env: Mapping[str, str]) -> None:
    """Refuse (exit 2, one line) to build a gateway to a real tenant when the config has no privacy_url."""
    if programme.programme.privacy_url is None and sends_to_real_tenant(env):
        raise InputError(
            "config [programme] privacy_url",
            ["required to send to a Microsoft 365 tenant: set it to the council's privacy notice for this programme"],
        )
