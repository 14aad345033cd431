"""Redirect targets: exact origin matching against a project's allowlist, no open redirects.

An origin is scheme + host + port. A redirect is accepted only when it is an absolute
http(s) URL whose origin, computed the way a browser computes it, is in the allowlist.
Anything a browser might read differently from Python's parser (backslashes, control
characters, user-info, scheme-relative ``//host``) is refused outright instead of being
normalized, because a lenient parser is how open redirects happen.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_REDIRECT_LENGTH = 2000
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
_IPV6_RE = re.compile(r"^\[[0-9a-f:.]+\]$")
# Control characters, whitespace and backslashes: browsers strip or reinterpret them.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")


class InvalidRedirect(ValueError):
    """The URL is not an acceptable redirect; the message says why, for the error page."""


def _origin_of(url: str) -> str:
    """The normalized origin of an absolute http(s) URL, or ``InvalidRedirect``."""
    if not isinstance(url, str) or not url:
        raise InvalidRedirect("A redirect URL is required.")
    if len(url) > MAX_REDIRECT_LENGTH:
        raise InvalidRedirect("The redirect URL is too long.")
    if _FORBIDDEN.search(url):
        raise InvalidRedirect("The redirect URL contains characters that are not allowed.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidRedirect("The redirect URL must start with https:// (or http:// for local development).")
    if not url.lower().startswith(f"{scheme}://"):
        raise InvalidRedirect("The redirect URL must be absolute, like https://app.example.com/callback.")
    netloc = parts.netloc
    if not netloc or "@" in netloc:
        raise InvalidRedirect("The redirect URL must name a host, without user name or password.")
    host = (parts.hostname or "").lower()
    if not (_HOST_RE.match(host) or _IPV6_RE.match(f"[{host}]")):
        raise InvalidRedirect("The redirect URL's host name is not valid.")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidRedirect("The redirect URL's port is not valid.") from exc
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_normalize(origin: str) -> str:
    """An allowlist entry as stored: ``https://app.example.com`` (no path, no default port)."""
    origin = origin.strip()
    normalized = _origin_of(origin.rstrip("/"))
    if urlsplit(origin.rstrip("/")).path or urlsplit(origin).query or urlsplit(origin).fragment:
        raise InvalidRedirect(f"{origin}: an origin has no path, like https://app.example.com.")
    return normalized


def _parameter_names(url: str) -> list[str]:
    """Names of the query parameters, and of the fragment's (single-page apps route on
    ``#/path?x=1``), decoded the way any server or router might: percent-decoded until it
    stops changing, stripped and lower-cased."""
    parts = urlsplit(url)
    names = []
    for part in (parts.query, parts.fragment.rpartition("?")[2]):
        for name, _ in parse_qsl(part, keep_blank_values=True):
            for _ in range(3):
                decoded = unquote(name)
                if decoded == name:
                    break
                name = decoded
            names.append(name.strip().lower())
    return names


def redirect_check(*, url: str, allowed_origins: list[str] | tuple[str, ...]) -> str:
    """Return ``url`` unchanged when its origin is allowlisted, else raise ``InvalidRedirect``."""
    origin = _origin_of(url)
    # Some servers also split a query on ';' (and Java ones read ";jsessionid" from paths), so a
    # ';' could smuggle a second parameter past the check below.
    if ";" in url:
        raise InvalidRedirect("The redirect URL must not contain ';'.")
    if "code" in _parameter_names(url):
        raise InvalidRedirect("The redirect URL must not have a 'code' parameter (in any spelling): dream-api adds "
                              "it.")
    if origin not in set(allowed_origins):
        if not allowed_origins:
            raise InvalidRedirect(
                "This project has not allowed any redirect origins yet; the developer adds them on the "
                "sign-up page of the dashboard."
            )
        raise InvalidRedirect(f"{origin} is not an allowed redirect origin for this project.")
    return url


def redirect_with_code(*, url: str, code: str) -> str:
    """``url`` with ``&code=…`` appended to its query.

    The existing query is left byte for byte as it was (no re-encoding), so the developer
    gets the original redirect URL back by removing the ``code`` parameter; the exchange
    compares the two exactly. ``code`` is URL-safe base64 and needs no escaping.
    """
    base, hash_mark, fragment = url.partition("#")
    if base.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&" if "?" in base else "?"
    return f"{base}{separator}code={code}{hash_mark}{fragment}"
