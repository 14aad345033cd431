"""Abuse limits of the hosted pages and the auth API.

Every entry point an anonymous visitor can reach is limited per address (``client_ip``,
which honours TRUSTED_PROXY_COUNT) and, where an e-mail or account is named, per account
too. Subjects are hashed: the rate-limit store never holds an e-mail or address in clear.
"""

from __future__ import annotations

import hashlib

from dreamapi.ratelimit import RateLimited, rate_limit_hit

# (requests, window in seconds) per rule. Per-e-mail rules also stop mail bombing: each
# sign-up, resend or reset request sends one e-mail.
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "signup:ip": (20, 600),
    "signup:email": (5, 600),
    "signin:ip": (30, 300),
    "signin:email": (10, 300),
    "resend:ip": (10, 600),
    "resend:email": (3, 600),
    "reset:ip": (10, 600),
    "reset:email": (3, 600),
    "link:ip": (30, 600),
    "oidc:ip": (30, 300),
    # /account changes and /refresh or /account returns to the app, per address; password
    # changes also per account, like sign-in (the current password can be guessed there).
    "account:ip": (30, 300),
    "account:password": (10, 300),
    "session:ip": (60, 300),
    # Per project, mode and key kind, not per address: a tenant's backend exchanges from a few
    # addresses (or ours, behind the balancer), and one tenant's flood must not block another's.
    # Publishable-key (browser) exchanges and refreshes have a bucket of their own, so a flood
    # with the public key cannot block the backend's, plus a limit per address.
    "exchange:key": (600, 60),
    "browser:ip": (60, 60),
}


def rate_limit(*, rule: str, subject: str) -> None:
    limit, window = RATE_LIMITS[rule]
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    result = rate_limit_hit(scope=f"signup:{rule}:{digest}", limit=limit, window=window)
    if not result.allowed:
        raise RateLimited(f"Too many attempts; try again in {result.retry_after} s.", retry_after=result.retry_after)


def rate_limit_visitor(*, action: str, project_id: int, mode: str, email: str, client_ip: str) -> None:
    """An anonymous request about an address: limited per client address and per account
    (the address in this project and mode)."""
    rate_limit(rule=f"{action}:ip", subject=client_ip)
    rate_limit(rule=f"{action}:email", subject=f"{project_id}:{mode}:{email.strip().lower()}")
