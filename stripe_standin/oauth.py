"""Connect OAuth (Standard accounts): authorize page, code exchange, deauthorization.

Flow, as with ``connect.stripe.com``:

1. the platform sends the user to ``GET /oauth/authorize?response_type=code&client_id=ca_...
   &scope=read_write&state=...&redirect_uri=...``;
2. the user presses "Connect" (a new ``acct_`` is created) and is redirected to
   ``redirect_uri?scope=read_write&code=ac_...&state=...`` -- or presses "Deny" and gets
   ``?error=access_denied&error_description=...&state=...``;
3. the platform exchanges the code: ``POST /oauth/token`` (``grant_type=authorization_code``);
   a code works once, a second use answers ``invalid_grant``;
4. ``POST /oauth/deauthorize`` disconnects the account; afterwards requests with
   ``Stripe-Account: acct_...`` are refused.

Errors use the OAuth envelope ``{"error": "...", "error_description": "..."}``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import objects, pages
from .errors import OAuthError
from .responses import Response, redirect
from .store import AccountState, OAuthCode, Store

SCOPES = ("read_write", "read_only")


def _with_query(target: str, extra: dict[str, str]) -> str:
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _check_authorize_params(params: dict[str, str]) -> str | None:
    """Why the authorize request is unusable, or None."""
    if params.get("response_type", "code") != "code":
        return "response_type must be 'code'."
    if not params.get("client_id", "").startswith("ca_"):
        return "A valid client_id (ca_...) is required."
    if params.get("scope", "read_write") not in SCOPES:
        return "scope must be read_write or read_only."
    target = params.get("redirect_uri", "")
    if not target.startswith(("http://", "https://")):
        return "redirect_uri is required (the stand-in has no dashboard setting to fall back on)."
    return None


def authorize_page(params: dict[str, str]) -> Response:
    problem = _check_authorize_params(params)
    if problem:
        return pages.oauth_page(params, error=problem, status=400)
    return pages.oauth_page(params)


def authorize_decision(store: Store, form: dict[str, Any]) -> Response:
    params = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    problem = _check_authorize_params(params)
    if problem:
        return pages.oauth_page(params, error=problem, status=400)
    state = params.get("state")
    back: dict[str, str] = {}
    if params.get("decision") != "allow":
        back = {"error": "access_denied", "error_description": "The user denied your request"}
        if state is not None:
            back["state"] = state
        return redirect(_with_query(params["redirect_uri"], back), 302)

    scope = params.get("scope") or "read_write"
    with store.lock:
        number = sum(1 for s in store.accounts.values() if s.connected) + 1
        account = objects.account(
            store, store.new_id("acct_", 16), name=params.get("business_name") or f"Stand-in Shop {number}",
            email=params.get("email") or None, connected=True,
            # Stripe lets a new account's owner skip the details form: the account then can't charge yet.
            onboarded=params.get("skip_onboarding") != "1",
        )
        store.accounts[account["id"]] = AccountState(obj=account, connected=True, client_id=params["client_id"])
        code = store.new_id("ac_", 32)
        store.oauth_codes[code] = OAuthCode(account_id=account["id"], client_id=params["client_id"], scope=scope,
                                            livemode=False)
    back = {"scope": scope, "code": code}
    if state is not None:
        back["state"] = state
    return redirect(_with_query(params["redirect_uri"], back), 302)


def _application(client_id: str | None) -> dict[str, Any]:
    return {"id": client_id, "object": "application", "name": "Stand-in platform"}


def token(store: Store, livemode: bool, form: dict[str, Any]) -> dict[str, Any]:
    """``POST /oauth/token``; the caller holds the lock and has checked the platform key."""
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = str(form.get("code") or "")
        if not code:
            raise OAuthError(400, "invalid_request", "No authorization code provided")
        grant = store.oauth_codes.get(code)
        if grant is None:
            raise OAuthError(400, "invalid_grant", f"Authorization code does not exist: {code}")
        if grant.used:
            # Like Stripe: reusing a code also revokes what it issued.
            if grant.access_token:
                store.access_tokens.pop(grant.access_token, None)
                store.revoked_tokens.add(grant.access_token)
            raise OAuthError(400, "invalid_grant", f"Authorization code has already been used: {code}")
        grant.used = True
        grant.livemode = livemode
        account_id, scope = grant.account_id, grant.scope
        store.emit("account.application.authorized", _application(grant.client_id), account=account_id,
                   livemode=livemode)
    elif grant_type == "refresh_token":
        refresh = str(form.get("refresh_token") or "")
        account_id = store.refresh_tokens.get(refresh, "")
        if not account_id or store.active_account(account_id) is None:
            raise OAuthError(400, "invalid_grant", f"Invalid refresh token: {refresh}")
        scope = str(form.get("scope") or "read_write")
        grant = None
    else:
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")

    mode = "live" if livemode else "test"
    access_token = store.new_id(f"sk_{mode}_", 99)
    refresh_token = store.new_id("rt_", 40)
    store.access_tokens[access_token] = account_id
    store.refresh_tokens[refresh_token] = account_id
    if grant is not None:
        grant.access_token = access_token
    return {
        "access_token": access_token,
        "livemode": livemode,
        "refresh_token": refresh_token,
        "scope": scope,
        "stripe_publishable_key": store.new_id(f"pk_{mode}_", 99),
        "stripe_user_id": account_id,
        "token_type": "bearer",
    }


def deauthorize(store: Store, livemode: bool, form: dict[str, Any]) -> dict[str, Any]:
    client_id = str(form.get("client_id") or "")
    account_id = str(form.get("stripe_user_id") or "")
    if not client_id:
        raise OAuthError(400, "invalid_request", "No client_id provided")
    if not account_id:
        raise OAuthError(400, "invalid_request", "No stripe_user_id provided")
    state = store.active_account(account_id)
    if state is None or not state.connected or (state.client_id and state.client_id != client_id):
        raise OAuthError(401, "invalid_client", f"This application is not connected to stripe account "
                                                f"{account_id}, or that account does not exist.")
    revoke_access(store, state, livemode)
    return {"stripe_user_id": account_id}


def revoke_access(store: Store, state: AccountState, livemode: bool) -> None:
    """End the platform's access to a connected account (the platform deauthorized it, or the account's
    owner disconnected the platform in their Dashboard): the event, then every token stops working."""
    account_id = state.obj["id"]
    # An account created with POST /v1/accounts has no OAuth client: name the platform's default one.
    client_id = state.client_id or "ca_standin_platform"
    store.emit("account.application.deauthorized", _application(client_id), account=account_id,
               livemode=livemode)
    state.deauthorized = True
    for tok, owner in list(store.access_tokens.items()):
        if owner == account_id:
            del store.access_tokens[tok]
            store.revoked_tokens.add(tok)
    for tok, owner in list(store.refresh_tokens.items()):
        if owner == account_id:
            del store.refresh_tokens[tok]
