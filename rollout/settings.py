"""What a run is configured with, read from the environment once (never at import time) into a typed `Settings`.

`Settings.from_env()` is called by the composition root (rollout.services.build_services) and passed on; nothing
keeps it in a process-wide cache, so two runs with different environments in one process never see each other's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

DEFAULT_CHECKIN_PUBLIC_URL = "http://127.0.0.1:8765"
DEFAULT_CHECKIN_TOKEN_DAYS = 60
DEFAULT_CHECKIN_RATE_LIMIT = "30/60"


@dataclass(frozen=True)
class Settings:
    config_path: Path
    data_dir: Path
    database_url: str
    # Every ROLLOUT_* variable as it was when read: the gateway's settings are resolved from it only where mail is
    # sent (a client secret may be a Prefect Secret block). Never shown: it holds secrets.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        config_path: str | Path | None = None,
        database_url: str | None = None,
    ) -> Settings:
        """Read ROLLOUT_CONFIG, ROLLOUT_DATA_DIR, ROLLOUT_DATABASE_URL (and keep every ROLLOUT_* variable);
        `config_path` and `database_url`, when given, win over the environment (a --config option, say)."""
        env = os.environ if env is None else env
        data = Path(env.get("ROLLOUT_DATA_DIR") or "var")
        return cls(
            config_path=Path(config_path or env.get("ROLLOUT_CONFIG") or "config/waves.toml"),
            data_dir=data,
            database_url=database_url or env.get("ROLLOUT_DATABASE_URL") or f"sqlite:///{data / 'rollout.db'}",
            environ=MappingProxyType({k: v for k, v in env.items() if k.startswith("ROLLOUT_")}),
        )

    # Check-in links (rollout.checkin). Validated when asked: a bad value fails the command that uses it only.

    @property
    def checkin_public_url(self) -> str:
        """Where partners reach the check-in page, e.g. https://checkin.example.gov.uk (no trailing slash)."""
        return self.environ.get("ROLLOUT_PUBLIC_URL", DEFAULT_CHECKIN_PUBLIC_URL).rstrip("/")

    @property
    def checkin_token_days(self) -> int:
        """How long a check-in link works, in days from when the email was queued."""
        raw = self.environ.get("ROLLOUT_CHECKIN_TOKEN_DAYS", str(DEFAULT_CHECKIN_TOKEN_DAYS))
        return _positive_int("ROLLOUT_CHECKIN_TOKEN_DAYS", raw)

    @property
    def checkin_trusted_proxies(self) -> int:
        """How many reverse proxies in front of the check-in page append to X-Forwarded-For (0: ignore it)."""
        raw = self.environ.get("ROLLOUT_TRUST_PROXY", "0").strip().lower()
        if raw in ("", "0", "false", "no", "off"):
            return 0
        if raw in ("true", "yes", "on"):
            return 1
        return _positive_int("ROLLOUT_TRUST_PROXY", raw)

    @property
    def checkin_rate_limit(self) -> tuple[int, int]:
        """(requests, seconds): how many check-in requests one client may make in a sliding window."""
        raw = self.environ.get("ROLLOUT_CHECKIN_RATE_LIMIT", DEFAULT_CHECKIN_RATE_LIMIT)
        requests, _, seconds = raw.partition("/")
        return (
            _positive_int("ROLLOUT_CHECKIN_RATE_LIMIT", requests, "like 30/60 (requests/seconds)"),
            _positive_int("ROLLOUT_CHECKIN_RATE_LIMIT", seconds, "like 30/60 (requests/seconds)"),
        )


# The functions below read the environment afresh on each call, for code that runs outside a run's services
# (check-in link issuing inside email rendering, the lab's commands). They keep nothing.


def data_dir() -> Path:
    """Local state for the default set-up: the SQLite file, emulator mailboxes, digest previews."""
    return Settings.from_env().data_dir


def database_url() -> str:
    return Settings.from_env().database_url


def config_path() -> Path:
    return Settings.from_env().config_path


def checkin_public_url() -> str:
    return Settings.from_env().checkin_public_url


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
    return Settings.from_env().checkin_token_days


def checkin_trusted_proxies() -> int:
    return Settings.from_env().checkin_trusted_proxies


def checkin_rate_limit() -> tuple[int, int]:
    return Settings.from_env().checkin_rate_limit


def _positive_int(name: str, raw: str, form: str = "a whole number above 0") -> int:
    from rollout.errors import InputError

    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(name, [f"{raw!r} must be {form}"])
    return value
