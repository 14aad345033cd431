"""The client's IP address, for per-address rate limits.

Behind a load balancer ``REMOTE_ADDR`` is the balancer, so every client would share one
bucket. ``TRUSTED_PROXY_COUNT`` says how many proxies of ours sit in front of the app: the
client is then the address that the outermost of them appended to ``X-Forwarded-For``
(the ``count``-th entry from the right). Entries further left were written by the client
and are never trusted. With the default of 0 the header is ignored. allauth's own limits
read the same setting (``ALLAUTH_TRUSTED_PROXY_COUNT``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as text ("" when there is none worth trusting)."""
    count = settings.TRUSTED_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR", "")
    if count > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        # Fewer hops than proxies: the request did not come through all of them (a health
        # check, a misconfiguration); the peer address is the best we know.
        if len(hops) >= count:
            candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""
