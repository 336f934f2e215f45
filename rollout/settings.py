"""Where things are, read from the environment when asked (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit


def data_dir() -> Path:
    """Local state for the default set-up: the SQLite file, emulator mailboxes, digest previews."""
    return Path(os.environ.get("ROLLOUT_DATA_DIR", "var"))


def database_url() -> str:
    url = os.environ.get("ROLLOUT_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'rollout.db'}"


def config_path() -> Path:
    return Path(os.environ.get("ROLLOUT_CONFIG", "config/waves.toml"))


# Check-in links (rollout.checkin). The signing secret is resolved in rollout.checkin.tokens (it may be a Prefect
# Secret block); everything else is plain environment.

DEFAULT_CHECKIN_PUBLIC_URL = "http://127.0.0.1:8765"
DEFAULT_CHECKIN_TOKEN_DAYS = 60
DEFAULT_CHECKIN_RATE_LIMIT = "30/60"


def checkin_public_url() -> str:
    """Where partners reach the check-in page, e.g. https://checkin.example.gov.uk (no trailing slash)."""
    return os.environ.get("ROLLOUT_PUBLIC_URL", DEFAULT_CHECKIN_PUBLIC_URL).rstrip("/")


REAL_GRAPH_HOST = "graph.microsoft.com"
ALLOW_INSECURE_LINKS = "ROLLOUT_ALLOW_INSECURE_LINKS"


def sends_to_real_tenant() -> bool:
    """True unless ROLLOUT_GRAPH_URL points somewhere other than Microsoft Graph (the emulator, in the lab)."""
    url = os.environ.get("ROLLOUT_GRAPH_URL", "").strip()
    return not url or (urlsplit(url).hostname or "").lower() == REAL_GRAPH_HOST


def insecure_public_url() -> str | None:
    """Why check-in links under ROLLOUT_PUBLIC_URL must not go to real partners (plain http, or this machine),
    or None. Emulator runs and ROLLOUT_ALLOW_INSECURE_LINKS=1 allow them."""
    if not sends_to_real_tenant() or os.environ.get(ALLOW_INSECURE_LINKS, "").strip().lower() in ("1", "true", "yes"):
        return None
    url = checkin_public_url()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    unset = "" if "ROLLOUT_PUBLIC_URL" in os.environ else " (it is not set: this is the default)"
    if parts.scheme != "https":
        return f"{url} is not https{unset}: partners' check-in links must be https://"
    if host == "localhost" or host.endswith(".localhost") or _is_loopback(host):
        return f"{url} is this machine{unset}: partners cannot reach it"
    return None


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checkin_token_days() -> int:
    """How long a check-in link works, in days from when the email was queued."""
    raw = os.environ.get("ROLLOUT_CHECKIN_TOKEN_DAYS", str(DEFAULT_CHECKIN_TOKEN_DAYS))
    return _positive_int("ROLLOUT_CHECKIN_TOKEN_DAYS", raw)


def checkin_trusted_proxies() -> int:
    """How many reverse proxies in front of the check-in page append to X-Forwarded-For (0: ignore the header)."""
    raw = os.environ.get("ROLLOUT_TRUST_PROXY", "0").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return 0
    if raw in ("true", "yes", "on"):
        return 1
    return _positive_int("ROLLOUT_TRUST_PROXY", raw)


def checkin_rate_limit() -> tuple[int, int]:
    """(requests, seconds): how many check-in requests one client may make in a sliding window."""
    raw = os.environ.get("ROLLOUT_CHECKIN_RATE_LIMIT", DEFAULT_CHECKIN_RATE_LIMIT)
    requests, _, seconds = raw.partition("/")
    return (
        _positive_int("ROLLOUT_CHECKIN_RATE_LIMIT", requests, "like 30/60 (requests/seconds)"),
        _positive_int("ROLLOUT_CHECKIN_RATE_LIMIT", seconds, "like 30/60 (requests/seconds)"),
    )


def _positive_int(name: str, raw: str, form: str = "a whole number above 0") -> int:
    from rollout.errors import InputError

    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(name, [f"{raw!r} must be {form}"])
    return value
