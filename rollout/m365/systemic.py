"""Which Entra ID and Graph failures are systemic (the app itself is refused), and what ops do about each.

A systemic failure stops a delivery run and leaves every unsent message queued: no message is at fault, and the
next run after the fix sends them all. Everything else a request can meet is either worth retrying (429/5xx,
dropped connections: retry.py) or the fault of one message (a recipient Exchange refuses, a body too large),
which fails that message only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from rollout.m365.redact import scrub
from rollout.outbound.gateway import SystemicGraphError

# Names of settings, for the fixes below (no secret here).
SECRET_SETTING = "ROLLOUT_CLIENT_SECRET (or the Prefect Secret block named by ROLLOUT_CLIENT_SECRET_BLOCK)"  # noqa: S105
CERT_SETTING = "ROLLOUT_CLIENT_CERT_PATH and ROLLOUT_CLIENT_CERT_THUMBPRINT"
PERMISSIONS_FIX = (
    "give the app the application permissions Calendars.ReadWrite and Mail.Send with admin consent, and include "
    "the mailbox in its RBAC for Applications scope (docs/microsoft365.md)"
)

# Entra ID's AADSTS numbers for the client-credentials flow: (what is wrong, what to do).
_SECRET_FIX = (
    f"create a new client secret for the app in Entra ID (Certificates & secrets) and put its Value in {SECRET_SETTING}"
)
_TOKEN_CAUSES: dict[int, tuple[str, str]] = {
    7000222: ("Microsoft 365 refused the app's client secret: it has expired", _SECRET_FIX),
    7000215: (
        "Microsoft 365 refused the app's client secret: it is not a current secret of the app (wrong, replaced, "
        "deleted, or the secret's ID given instead of its Value)",
        _SECRET_FIX,
    ),
    7000218: ("the token request carried no client secret or certificate", _SECRET_FIX),
    700027: (
        "Microsoft 365 refused the app's certificate: it is not registered on the app, or the key does not match",
        f"upload the certificate to the app registration in Entra ID and point {CERT_SETTING} at its private key "
        "and thumbprint",
    ),
    700024: (
        "Microsoft 365 refused the app's certificate sign-in: the client assertion is outside its valid time range",
        "check this machine's clock (it must be within minutes of the real time)",
    ),
    700016: (
        "Entra ID has no app with ROLLOUT_CLIENT_ID in the tenant ROLLOUT_TENANT_ID",
        "copy the Application (client) ID and the Directory (tenant) ID from the app registration's Overview page",
    ),
    7000112: ("the app is disabled in Entra ID", "enable the app (Enterprise applications > Properties)"),
    90002: (
        "Entra ID does not know the tenant ROLLOUT_TENANT_ID",
        "set ROLLOUT_TENANT_ID to the Directory (tenant) ID",
    ),
    900023: ("ROLLOUT_TENANT_ID is not a valid tenant", "set ROLLOUT_TENANT_ID to the Directory (tenant) ID"),
    500011: (
        "Microsoft Graph is not available to the app in this tenant",
        "grant the app its Microsoft Graph permissions with admin consent",
    ),
}
_AADSTS = re.compile(r"AADSTS(\d+)")

# Graph error codes that concern the organiser mailbox or the app's rights on it, whatever the status.
_MAILBOX_MISSING = frozenset(
    {
        "errorinvaliduser",
        "mailboxnotenabledforrestapi",
        "mailboxnotfound",
        "errornonexistentmailbox",
        "resourcenotfound",
        "request_resourcenotfound",
    }
)
_MAILBOX_REFUSED = frozenset(
    {"erroraccessdenied", "accessdenied", "authorization_requestdenied", "errorsendasdenied", "erroraccountdisabled"}
)
_MAILBOX_FULL = frozenset({"errorquotaexceeded", "errormailboxquotaexceeded"})


def token_refused(result: Mapping[str, Any], credential_kind: str) -> SystemicGraphError:
    """msal's answer from the token endpoint, when it holds no token. There is no message-level token failure in
    the client-credentials flow: every refusal concerns the app, its credential or the tenant."""
    error = str(result.get("error") or "unknown_error")
    # Entra's descriptions run to several lines (trace ids, timestamps); the first says what is wrong.
    description = scrub((str(result.get("error_description") or "").splitlines() or [""])[0])
    number = _aadsts(result, description)
    cause, fix = _TOKEN_CAUSES.get(
        number or 0,
        (
            f"Microsoft 365 refused the app's sign-in ({error})",
            "check ROLLOUT_TENANT_ID, ROLLOUT_CLIENT_ID and the app's "
            + ("certificate" if credential_kind == "certificate" else "client secret")
            + " in Entra ID",
        ),
    )
    shown = f"AADSTS{number}" if number else error
    return SystemicGraphError(401, error, f"token request refused: {description}", cause=f"{cause} ({shown})", fix=fix)


def credential_unusable(detail: str, credential_kind: str) -> SystemicGraphError:
    """msal could not even build the token request: the tenant's sign-in metadata is missing, or the private key
    does not load."""
    if credential_kind == "certificate":
        cause, fix = (
            "the app's certificate private key could not be used",
            f"point {CERT_SETTING} at a PEM private key without a passphrase and its SHA-1 thumbprint",
        )
    else:
        cause, fix = (
            "Entra ID has no sign-in metadata for ROLLOUT_TENANT_ID at ROLLOUT_LOGIN_URL",
            "set ROLLOUT_TENANT_ID to the Directory (tenant) ID (and leave ROLLOUT_LOGIN_URL unset for Microsoft's)",
        )
    return SystemicGraphError(0, "CredentialUnusable", scrub(detail), cause=cause, fix=fix)


def graph_refused(status: int, code: str, message: str, url: str) -> SystemicGraphError | None:
    """A Graph answer that concerns the app or the organiser mailbox rather than this one request; None otherwise.
    Every request the gateway makes addresses /users/{organiser}/..., so a 401 or 403 is about the app's rights on
    that mailbox, never about one message."""
    folded = code.lower()
    mailbox = _mailbox_of(url)
    detail = f"{status} {code}"
    if status == 401:
        return SystemicGraphError(
            status,
            code,
            message,
            cause=f"Microsoft Graph refused the app's new access token ({detail})",
            fix="check that ROLLOUT_TENANT_ID is the organiser's tenant and that the app's Microsoft Graph "
            "permissions have admin consent",
        )
    if status == 403 or folded in _MAILBOX_REFUSED:
        return SystemicGraphError(
            status,
            code,
            message,
            cause=f"Microsoft 365 denied the app access to the organiser mailbox {mailbox} ({detail})",
            fix=PERMISSIONS_FIX,
        )
    if folded in _MAILBOX_MISSING:
        return SystemicGraphError(
            status,
            code,
            message,
            cause=f"the organiser mailbox {mailbox} does not exist or is not an Exchange Online mailbox ({detail})",
            fix="set ROLLOUT_ORGANISER (or programme.organiser_mailbox) to a licensed Exchange Online mailbox",
        )
    if folded in _MAILBOX_FULL:
        return SystemicGraphError(
            status,
            code,
            message,
            cause=f"the organiser mailbox {mailbox} is full ({detail})",
            fix="free space in the mailbox (empty Deleted Items and Sent Items) or raise its quota",
        )
    return None


def tls_unverified(detail: str, what: str) -> SystemicGraphError:
    return SystemicGraphError(
        0,
        "TlsCertificateVerifyFailed",
        f"{what}: {detail}",
        cause=f"the TLS certificate of {what} could not be verified",
        fix="set ROLLOUT_CA_BUNDLE to the CA bundle that signs it (a proxy that inspects TLS has its own)",
    )


def gave_up(status: int, code: str, message: str, patience_s: float) -> SystemicGraphError:
    """Retries ran out on a failure that is the tenant's or the sign-in service's, not one message's."""
    if status == 429:
        cause = f"Microsoft 365 is throttling the app (429 {code}) beyond a run's patience ({patience_s:.0f} s)"
        fix = "nothing to change: the next run carries on; if it happens often, lower ROLLOUT_SEND_PACE"
    else:
        cause = (
            f"Entra ID's token endpoint did not answer ({status} {code}) within a run's patience ({patience_s:.0f} s)"
        )
        fix = "check the network path to ROLLOUT_LOGIN_URL (proxy, firewall); the next run carries on"
    return SystemicGraphError(status, code, message, cause=cause, fix=fix)


def _aadsts(result: Mapping[str, Any], description: str) -> int | None:
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    found = _AADSTS.search(description)
    return int(found.group(1)) if found else None


def _mailbox_of(url: str) -> str:
    parts = urlsplit(url).path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == "users":
            return unquote(parts[index + 1])
    return "(unknown)"
