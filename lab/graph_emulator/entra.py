"""Entra ID's endpoints that msal uses for the client-credentials flow: discovery and the token endpoint."""

from __future__ import annotations

import base64
import hmac
from urllib.parse import parse_qsl, unquote_plus, urlparse

from graph_emulator.errors import OAuthError
from graph_emulator.httpio import Request, Response
from graph_emulator.state import App, State

GRAPH_RESOURCE = "https://graph.microsoft.com"
NOT_TENANTS = {"v1.0", "beta", "_emulator"}


def openid_configuration(state: State, request: Request, tenant: str) -> Response:
    with state.lock:
        known = any(app.tenant_id == tenant for app in state.apps.values())
    if not known:
        raise OAuthError(
            400,
            "invalid_tenant",
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud.",
        )
    base = f"{request.base_url}/{tenant}"
    return Response.json(
        200,
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{request.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        },
    )


def instance_discovery(request: Request) -> Response:
    """msal's authority validation for hosts it does not know (skipped with instance_discovery=False)."""
    authorize = request.query.get("authorization_endpoint", "")
    parts = urlparse(authorize).path.split("/")
    tenant = parts[1] if len(parts) > 1 and parts[1] else "common"
    host = urlparse(request.base_url).netloc
    return Response.json(
        200,
        {
            "tenant_discovery_endpoint": f"{request.base_url}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        },
    )


def keys() -> Response:
    return Response.json(200, {"keys": []})  # tokens are opaque: nothing to verify offline


def token(state: State, request: Request, tenant: str) -> tuple[Response, App]:
    """Client credentials only. Returns the response and the app it was issued to (for the request log)."""
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    client_id, secret = form.get("client_id", ""), form.get("client_secret")
    basic = request.header("authorization")
    if basic.lower().startswith("basic "):  # client_secret_basic
        # RFC 6749 2.3.1: both parts are form-encoded before being joined (msal does this).
        decoded = base64.b64decode(basic[6:]).decode("utf-8", "replace")
        raw_id, _, raw_secret = decoded.partition(":")
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if form.get("grant_type") != "client_credentials":
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type "
            f"'{form.get('grant_type', '')}'. Only client_credentials is supported here.",
        )
    with state.lock:
        app = state.apps.get(client_id)
        if app is None or app.tenant_id != tenant:
            raise OAuthError(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
            )
        if secret is None:
            raise OAuthError(
                401,
                "invalid_client",
                "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        if app.secret_expired and hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            raise OAuthError(
                401,
                "invalid_client",
                f"AADSTS7000222: The provided client secret keys for app '{client_id}' are expired. Visit the "
                "Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
                "certificate credentials for added security: https://aka.ms/certCreds.",
            )
        if not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            raise OAuthError(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
                "request is the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        scope = form.get("scope", "")
        resources = {s.removesuffix("/.default").rstrip("/") for s in scope.split() if s.endswith("/.default")}
        if not scope or len(resources) != len(scope.split()) or not resources <= {GRAPH_RESOURCE, request.base_url}:
            raise OAuthError(
                400,
                "invalid_scope",
                f"AADSTS1002012: The provided value for scope {scope} is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        access_token, lifetime = state.issue_token(app)
    body = {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    }
    return Response.json(200, body, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}), app
