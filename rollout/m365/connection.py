"""O365's Account/Connection, adjusted so its real code paths work for an app-only daemon.

What is changed, and why:
- `GraphProtocol`: O365 hard-codes https://graph.microsoft.com/; the URL comes from settings instead.
- `GatewayConnection.msal_client`: msal gets authority `{login_url}/{tenant}`, `instance_discovery=False` for
  hosts that are not Microsoft's (msal would otherwise ask login.microsoftonline.com about the authority), the
  CA bundle, and the real credential (O365 itself is only ever given a placeholder, so the secret lives in one
  object).
- `GatewayConnection.refresh_token`: O365 passes the scopes it finds in the token cache to
  `acquire_token_for_client`; for client-credential tokens there are none, so msal 1.39 fails with
  `AssertionError: Invalid parameter type` once the first token expires. We always ask for
  `https://graph.microsoft.com/.default`, and refresh *before* expiry as well.
- Verification: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a *session's* `verify`, so a
  configured CA bundle is passed on every request instead (msal gets a session that does so; the Graph
  pipeline passes it per call).
- `GatewayConnection.get_session`: requests works the proxy settings out of the environment again for every
  request (scanning all of os.environ); the session does it once per host instead.
- No urllib3 retry adapter (`request_retries=0`): O365's excludes POST/PATCH and raises RetryError; the
  gateway's own policy (retry.py) applies to every method instead. No `requests_delay` either: pacing is ours.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from jwt.exceptions import PyJWTError
from msal import ConfidentialClientApplication
from O365 import Account
from O365.connection import Connection, MSGraphProtocol
from O365.utils import BaseTokenBackend

from rollout.m365.redact import scrub
from rollout.m365.retry import RetryableFailure
from rollout.m365.settings import ClientCredential, GatewaySettings
from rollout.m365.systemic import credential_unusable, tls_unverified, token_refused

log = logging.getLogger("rollout.m365")

# The app-only scope. Entra issues Graph tokens for it; the local emulator accepts the same string.
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# Hosts msal knows; anything else (the emulator, a proxy) must not trigger instance discovery.
_MICROSOFT_LOGIN_HOSTS = frozenset(
    {"login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn"}
)

# msal answers these token-endpoint errors when the service, not our request, is at fault.
_TRANSIENT_TOKEN_ERRORS = frozenset({"temporarily_unavailable", "server_error"})

DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds for every request


class PinnedVerifySession(requests.Session):
    """A requests session whose CA bundle (and timeout) apply to every request, whatever the environment."""

    def __init__(self, verify: str | bool, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._pinned_verify = verify
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        if not isinstance(self._pinned_verify, bool):
            kwargs["verify"] = self._pinned_verify
        return super().request(method, url, *args, **kwargs)


def environment_once_per_host(session: requests.Session) -> requests.Session:
    """Make `session` read proxy and CA settings from the environment once per scheme and host, not per request.
    Settings given for one request (its own proxies) are never cached."""
    merge = session.merge_environment_settings
    cache: dict[tuple[str, str, Any, Any, Any], Any] = {}

    def merge_once(url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        cacheable = isinstance(url, str) and isinstance(verify, bool | str | None) and isinstance(cert, str | None)
        if proxies or not cacheable:
            return merge(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        if key not in cache:
            cache[key] = merge(url, proxies, stream, verify, cert)
        return dict(cache[key], proxies=dict(cache[key]["proxies"]))

    session.merge_environment_settings = merge_once  # type: ignore[method-assign]
    return session


def transport_failure(exc: requests.RequestException, what: str, *, systemic: bool = False) -> Exception:
    """A connection-level failure as the gateway's error: an untrusted certificate stops the run (retrying cannot
    fix it, and no message could get through); anything else (reset, timeout, refused) is worth another attempt.
    `systemic`: when the attempts run out, every message is stuck behind it (the token endpoint)."""
    detail = scrub(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, requests.exceptions.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return tls_unverified(detail, what)
    return RetryableFailure(0, type(exc).__name__, f"{what}: {detail}", systemic=systemic)


class MemoryTokenBackend(BaseTokenBackend):
    """Tokens held in memory only: an access token lasts an hour and re-acquiring one is cheap, so nothing
    is persisted (and no credential-derived data ever touches the disk)."""

    def __repr__(self) -> str:
        return "MemoryTokenBackend()"

    def load_token(self) -> bool:
        return True

    def save_token(self, force: bool = False) -> bool:
        return True

    def drop_access_tokens(self) -> None:
        for entry in list(self.search(self.CredentialType.ACCESS_TOKEN)):
            self.remove_at(entry)


class GraphProtocol(MSGraphProtocol):
    """MSGraphProtocol pointed at `graph_url` (e.g. https://graph.microsoft.com/v1.0 or the emulator)."""

    def __init__(self, graph_url: str) -> None:
        root, _, version = graph_url.rstrip("/").rpartition("/")
        if not root or not version:
            raise ValueError(f"ROLLOUT_GRAPH_URL must end with the API version, e.g. /v1.0: {graph_url}")
        self._protocol_url = f"{root}/"  # read by MSGraphProtocol.__init__
        super().__init__(api_version=version, default_resource="", timezone="UTC")


class GatewayConnection(Connection):
    # Declared for the type checker; O365 assigns both in Connection.__init__.
    _msal_client: ConfidentialClientApplication | None
    session: requests.Session | None

    def __init__(
        self,
        credentials: tuple[str, str],
        *,
        client_credential: ClientCredential,
        login_url: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(credentials, **kwargs)
        self._client_credential = client_credential
        self._msal_authority = f"{login_url.rstrip('/')}/{self.tenant_id}"
        host = urlsplit(login_url).hostname or ""
        self._instance_discovery: bool | None = None if host in _MICROSOFT_LOGIN_HOSTS else False
        self._token_lock = threading.Lock()
        self._client_lock = threading.Lock()
        self._expires_at: float | None = None  # monotonic
        self._lifetime_s = 0.0
        self.token_generation = 0  # bumped on each new token; lets threads skip a refresh another did
        self.token_acquisitions = 0

    @property
    def msal_client(self) -> ConfidentialClientApplication:
        with self._client_lock:
            if self._msal_client is None:
                http_client = PinnedVerifySession(self.verify_ssl, self.timeout)
                if self.proxy:
                    http_client.proxies = self.proxy
                self._msal_client = ConfidentialClientApplication(
                    client_id=self.auth[0],
                    client_credential=self._client_credential.for_msal(),
                    authority=self._msal_authority,
                    token_cache=self.token_backend,
                    http_client=http_client,
                    instance_discovery=self._instance_discovery,
                )
            return self._msal_client

    def get_session(self, load_token: bool = False) -> requests.Session:
        return environment_once_per_host(super().get_session(load_token=load_token))

    # --- tokens -------------------------------------------------------------------------------------------

    def ensure_token(self) -> None:
        """Acquire a token if there is none or it is close to expiry (a fifth of its life, at most 5 min)."""
        if self._expires_at is not None and time.monotonic() < self._expires_at - self._margin():
            return
        generation = self.token_generation
        with self._token_lock:
            if generation == self.token_generation:
                self._acquire(drop_cached=False)

    def force_new_token(self, seen_generation: int) -> None:
        """Graph rejected the token (401): get a new one unless another thread already did."""
        with self._token_lock:
            if seen_generation == self.token_generation:
                self._acquire(drop_cached=True)

    def refresh_token(self) -> bool:
        """O365 calls this when a request fails with 401/403 and its cache says the token expired."""
        self.force_new_token(self.token_generation)
        return True

    def _margin(self) -> float:
        return min(300.0, self._lifetime_s / 5)

    def _acquire(self, *, drop_cached: bool) -> None:
        if drop_cached:
            # acquire_token_for_client refuses force_refresh; emptying the cache has the same effect.
            self.token_backend.drop_access_tokens()
        try:
            result = self.msal_client.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        except requests.RequestException as exc:
            raise transport_failure(exc, "token endpoint", systemic=True) from None
        except (ValueError, PyJWTError) as exc:
            # msal found no sign-in metadata for the tenant, or could not load the certificate's private key.
            raise credential_unusable(f"{type(exc).__name__}: {exc}", self._client_credential.kind) from None
        if "access_token" not in result:
            error = str(result.get("error", "unknown_error"))
            if error in _TRANSIENT_TOKEN_ERRORS:
                description = scrub((str(result.get("error_description") or "").splitlines() or [""])[0])
                raise RetryableFailure(503, error, description, systemic=True)
            raise token_refused(result, self._client_credential.kind)
        lifetime = float(result.get("expires_in", 3600))
        self._lifetime_s = lifetime
        self._expires_at = time.monotonic() + lifetime
        if self.session is None:
            self.session = self.get_session(load_token=False)
        self.update_session_auth_header(access_token=result["access_token"])
        self.token_generation += 1
        self.token_acquisitions += 1
        log.debug("acquired an app token valid for %.0fs", lifetime)


class _GatewayAccount(Account):
    connection_constructor = GatewayConnection


def build_account(settings: GatewaySettings, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> Account:
    """An O365 Account for the client-credentials flow, built the documented way, whose connection is a
    `GatewayConnection` (call its `ensure_token()` before requests) and whose protocol addresses
    `settings.graph_url`. The gateway uses only its connection; the benchmark's naive loop uses O365's own
    Message API through it."""
    return _GatewayAccount(
        # O365 keeps `credentials` in plain sight (Connection.auth); it gets a placeholder, msal the real one.
        (settings.client_id, "held-by-msal"),
        auth_flow_type="credentials",
        tenant_id=settings.tenant_id,
        protocol=GraphProtocol(settings.graph_url),
        token_backend=MemoryTokenBackend(),
        client_credential=settings.credential,
        login_url=settings.login_url,
        request_retries=0,
        requests_delay=0,
        # Immutable ids (O365's documented option): an id stays valid when Exchange moves the item, so the
        # event ids the rollout stores for months, and a message's id from draft to Sent Items, never change.
        default_headers={"Prefer": 'IdType="ImmutableId"'},
        raise_http_errors=False,
        timeout=timeout,
        verify_ssl=settings.ca_bundle or True,
    )


def build_connection(
    settings: GatewaySettings, timeout: tuple[float, float] = DEFAULT_TIMEOUT
) -> tuple[GatewayConnection, str]:
    """The connection of `build_account`'s Account, and the Graph service URL (ending in '/')."""
    account = build_account(settings, timeout)
    connection: GatewayConnection = account.con
    service_url: str = account.protocol.service_url
    return connection, service_url
