"""Gateway settings, read from the environment when asked (never at import time).

The client secret (or certificate private key) is held in a pydantic `SecretStr`, so repr() and str() of any
object here show `**********`; the plain value is only unwrapped when the msal client is built.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from rollout.errors import InputError
from rollout.m365.redact import REDACTOR
from rollout.m365.shared_limits import shared_mode

DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_SEND_PACE = 30  # Exchange Online: about 30 messages per minute per mailbox
DEFAULT_MAX_IN_FLIGHT = 4  # Outlook resources: 4 concurrent requests per app per mailbox

SecretLoader = Callable[[str], str]


class GatewaySettingsError(InputError):
    """A setting is missing or malformed; the message names the environment variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("environment", problems)


@dataclass(frozen=True)
class ClientCredential:
    """Either a client secret or a certificate (PEM private key + SHA-1 thumbprint). Never printed."""

    secret: SecretStr | None = None
    cert_private_key: SecretStr | None = None
    cert_thumbprint: str | None = None

    def for_msal(self) -> str | dict[str, str]:
        """The `client_credential` argument msal's ConfidentialClientApplication expects."""
        if self.cert_private_key is not None and self.cert_thumbprint:
            return {
                "private_key": self.cert_private_key.get_secret_value(),
                "thumbprint": self.cert_thumbprint,
            }
        if self.secret is not None:
            return self.secret.get_secret_value()
        raise GatewaySettingsError(["no client credential: set ROLLOUT_CLIENT_SECRET"])

    def register_for_redaction(self) -> None:
        for value in (self.secret, self.cert_private_key):
            if value is not None:
                REDACTOR.add(value.get_secret_value())

    @property
    def kind(self) -> str:
        return "certificate" if self.cert_private_key is not None else "secret"


@dataclass(frozen=True)
class GatewaySettings:
    tenant_id: str
    client_id: str
    credential: ClientCredential = field(repr=False)
    organiser: str
    graph_url: str = DEFAULT_GRAPH_URL
    login_url: str = DEFAULT_LOGIN_URL
    ca_bundle: str | None = None
    send_pace_per_minute: int = DEFAULT_SEND_PACE
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    shared_limits: str = ""  # "prefect": also take slots from the Prefect server's limits (shared_limits.py)

    def __post_init__(self) -> None:
        problems = []
        if urlsplit(self.login_url).scheme != "https":
            problems.append(f"ROLLOUT_LOGIN_URL must be an https URL (msal refuses others): {self.login_url}")
        if urlsplit(self.graph_url).scheme not in ("https", "http"):
            problems.append(f"ROLLOUT_GRAPH_URL must be an http(s) URL: {self.graph_url}")
        if self.send_pace_per_minute < 1:
            problems.append("ROLLOUT_SEND_PACE must be at least 1 message per minute")
        if self.max_in_flight < 1:
            problems.append("ROLLOUT_GRAPH_MAX_IN_FLIGHT must be at least 1")
        if "@" not in self.organiser:
            problems.append(f"ROLLOUT_ORGANISER must be a mailbox address (UPN): {self.organiser!r}")
        if problems:
            raise GatewaySettingsError(problems)
        self.credential.register_for_redaction()

    @classmethod
    def from_env(
        cls,
        *,
        organiser_fallback: str | None = None,
        env: Mapping[str, str] | None = None,
        secret_loader: SecretLoader | None = None,
    ) -> GatewaySettings:
        """Read the ROLLOUT_* variables. `organiser_fallback` is the config file's organiser, used when
        ROLLOUT_ORGANISER is unset. `secret_loader` resolves ROLLOUT_CLIENT_SECRET_BLOCK (default:
        Prefect's Secret block)."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                problems.append(f"{name} is not set")
            return value

        tenant_id = required("ROLLOUT_TENANT_ID")
        client_id = required("ROLLOUT_CLIENT_ID")
        organiser = env.get("ROLLOUT_ORGANISER", "").strip() or (organiser_fallback or "").strip()
        if not organiser:
            problems.append("ROLLOUT_ORGANISER is not set (and the configuration names no organiser)")
        credential = _credential_from_env(env, problems, secret_loader or load_prefect_secret)
        pace = int_from_env(env, "ROLLOUT_SEND_PACE", DEFAULT_SEND_PACE, problems)
        in_flight = int_from_env(env, "ROLLOUT_GRAPH_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT, problems)
        shared = shared_mode(env, problems)
        if problems:
            raise GatewaySettingsError(problems)
        return cls(
            tenant_id=tenant_id,
            client_id=client_id,
            credential=credential,
            organiser=organiser,
            graph_url=(env.get("ROLLOUT_GRAPH_URL") or DEFAULT_GRAPH_URL).rstrip("/"),
            login_url=(env.get("ROLLOUT_LOGIN_URL") or DEFAULT_LOGIN_URL).rstrip("/"),
            ca_bundle=env.get("ROLLOUT_CA_BUNDLE") or None,
            send_pace_per_minute=pace,
            max_in_flight=in_flight,
            shared_limits=shared,
        )


def _credential_from_env(env: Mapping[str, str], problems: list[str], loader: SecretLoader) -> ClientCredential:
    cert_path = env.get("ROLLOUT_CLIENT_CERT_PATH", "").strip()
    thumbprint = env.get("ROLLOUT_CLIENT_CERT_THUMBPRINT", "").strip()
    if cert_path or thumbprint:
        if not (cert_path and thumbprint):
            problems.append("ROLLOUT_CLIENT_CERT_PATH and ROLLOUT_CLIENT_CERT_THUMBPRINT go together")
            return ClientCredential()
        try:
            pem = Path(cert_path).read_text()
        except OSError as exc:
            problems.append(f"ROLLOUT_CLIENT_CERT_PATH cannot be read: {cert_path} ({exc.strerror})")
            return ClientCredential()
        return ClientCredential(cert_private_key=SecretStr(pem), cert_thumbprint=thumbprint.replace(":", ""))

    secret = env.get("ROLLOUT_CLIENT_SECRET", "")
    if secret:
        return ClientCredential(secret=SecretStr(secret))
    block = env.get("ROLLOUT_CLIENT_SECRET_BLOCK", "").strip()
    if block:
        try:
            value = loader(block)
        except Exception as exc:
            # Keep only the exception's type: its text is the loader's business and is not ours to print.
            problems.append(f"ROLLOUT_CLIENT_SECRET_BLOCK={block!r} could not be loaded ({type(exc).__name__})")
            return ClientCredential()
        if not value:
            problems.append(f"ROLLOUT_CLIENT_SECRET_BLOCK={block!r} holds an empty secret")
            return ClientCredential()
        return ClientCredential(secret=SecretStr(value))
    problems.append(
        "ROLLOUT_CLIENT_SECRET is not set (nor ROLLOUT_CLIENT_SECRET_BLOCK, "
        "nor ROLLOUT_CLIENT_CERT_PATH + ROLLOUT_CLIENT_CERT_THUMBPRINT)"
    )
    return ClientCredential()


def int_from_env(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default


def load_prefect_secret(block_name: str) -> str:
    """Load a Prefect `Secret` block's value. Imported lazily: Prefect is heavy and only needed here."""
    from prefect.blocks.system import Secret

    block: Any = Secret.load(block_name)  # a Secret in sync code (Prefect dispatches on the calling context)
    return str(block.get())
