"""Outbound HTTP to URLs that someone else chose, without letting them aim our server at our
own network (SSRF).

Developers give us URLs (an OpenID Connect issuer today, webhook endpoints later) and our
server fetches them. Every fetch here:

- resolves the host name once and refuses it when *any* address it resolves to is not a
  public unicast address: loopback, private (RFC 1918, unique-local IPv6), link-local
  (where cloud metadata services live, 169.254.169.254 / fd00:ec2::254), carrier-grade NAT
  (100.64/10, Alibaba's metadata), multicast, reserved, unspecified, documentation and
  benchmark ranges; IPv4 addresses wrapped in IPv6 (mapped, 6to4, Teredo, NAT64) are
  unwrapped and checked too;
- connects to exactly the address it checked (TLS still verifies the certificate for the
  host name), so a DNS answer that changes between check and connect (DNS rebinding)
  cannot switch the target; environment proxies are not used for the same reason;
- never follows a redirect (a 3xx is an error), so a public URL cannot bounce us inward;
- has short connect/read timeouts and an overall deadline, and reads at most ``max_bytes``;
- raises ``UnsafeRequest`` with a generic message: never the fetched body, the exception
  type or the address, so the error cannot be used to read internal services or scan ports.
  Details go to the server log.

``SAFEHTTP_ALLOW_LOOPBACK`` (off by default; test/dev only) lets loopback addresses through:
the test suite runs a real OpenID provider on 127.0.0.1. Nothing else can be allowed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3
from django.conf import settings

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
TOTAL_DEADLINE = 10.0
DEFAULT_MAX_BYTES = 512 * 1024
USER_AGENT = "dream-api (+https://github.com/dream-api)"

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Ranges Python's ipaddress still calls global but that are no place for a fetch of ours.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT; Alibaba Cloud's metadata at 100.100.100.200
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments (Oracle Cloud's metadata 192.0.0.192)
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("224.0.0.0/4"),  # multicast (is_global is True for some of it)
    ipaddress.ip_network("240.0.0.0/4"),  # reserved
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6 (also unique-local)
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeRequest(Exception):
    """The URL may not be fetched, or the fetch failed. The message is safe to show."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise UnsafeRequest("The server did not answer with JSON.") from exc


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool = False) -> bool:
    """Whether a fetch of ours may connect to ``address``."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded:
            return all(address_allowed(inner, allow_loopback=allow_loopback) for inner in embedded)
    if address.is_loopback:
        return allow_loopback
    if (address.is_private or address.is_link_local or address.is_multicast or address.is_reserved
            or address.is_unspecified or not address.is_global):
        return False
    return not any(address in network for network in _EXTRA_BLOCKED if network.version == address.version)


def loopback_allowed() -> bool:
    return bool(getattr(settings, "SAFEHTTP_ALLOW_LOOPBACK", False))


def _resolve(host: str, port: int) -> str:
    """The one address to connect to, after checking every address the name resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        logger.info("safehttp: %s does not resolve (%s)", host, exc)
        raise UnsafeRequest("The host name could not be resolved.") from exc
    addresses = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(info[4][0]))
        except ValueError:
            continue
    if not addresses:
        raise UnsafeRequest("The host name could not be resolved.")
    allow_loopback = loopback_allowed()
    refused = [str(a) for a in addresses if not address_allowed(a, allow_loopback=allow_loopback)]
    if refused:
        logger.warning("safehttp: refused %s, which resolves to non-public %s", host, ", ".join(refused))
        raise UnsafeRequest("The URL points at an address that is not on the public internet.")
    return str(addresses[0])


def _split(url: str, schemes: tuple[str, ...]) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, Host header, path with query) of an acceptable URL."""
    if not isinstance(url, str) or len(url) > 2000 or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UnsafeRequest("The URL is not valid.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise UnsafeRequest(f"The URL must start with {' or '.join(s + '://' for s in schemes)}.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeRequest("The URL must not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeRequest("The URL must name a host.")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise UnsafeRequest("The URL's port is not valid.") from exc
    host_header = parts.netloc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, host_header, path


def check_url(url: str, *, schemes: tuple[str, ...] = ("https",)) -> None:
    """Refuse ``url`` now, as ``request`` would (e.g. when a developer saves it). A later
    request checks again: DNS may have changed by then."""
    _, host, port, _, _ = _split(url, schemes)
    _resolve(host, port)


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    body: bytes | None = None,
    schemes: tuple[str, ...] = ("https",),
    max_bytes: int = DEFAULT_MAX_BYTES,
    truncate: bool = False,
) -> Response:
    """Fetch ``url`` under the rules in the module docstring. A 3xx raises ``UnsafeRequest``;
    other statuses are returned for the caller to judge. ``body`` is sent as is (set its
    Content-Type in ``headers``); ``form`` is sent url-encoded. An answer longer than
    ``max_bytes`` raises, or with ``truncate`` is cut there (when only its start matters)."""
    if form is not None and body is not None:
        raise ValueError("send either form or body")
    scheme, host, port, host_header, path = _split(url, schemes)
    address = _resolve(host, port)
    send_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {}), "Host": host_header}
    if form is not None:
        body = urlencode(form).encode()
        send_headers["Content-Type"] = "application/x-www-form-urlencoded"
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if scheme == "https":
        # Connect to the checked address; SNI and certificate verification use the host name.
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, maxsize=1, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    deadline = time.monotonic() + TOTAL_DEADLINE
    try:
        with pool:
            response = pool.urlopen(method, path, body=body, headers=send_headers, redirect=False, retries=False,
                                    preload_content=False, decode_content=False, assert_same_host=False)
            try:
                status = response.status
                if 300 <= status < 400:
                    raise UnsafeRequest("The server answered with a redirect; redirects are not followed. Use the "
                                        "final URL.")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes and not truncate:
                    raise UnsafeRequest("The server's answer is too large.")
                chunks, size = [], 0
                # read1 returns what has arrived instead of waiting for a full chunk, so a server
                # dripping one byte at a time meets the deadline rather than each read's timeout.
                while chunk := response.read1(16 * 1024, decode_content=False):
                    size += len(chunk)
                    if size > max_bytes:
                        if not truncate:
                            raise UnsafeRequest("The server's answer is too large.")
                        chunks.append(chunk[: max_bytes - size + len(chunk)])
                        break
                    if time.monotonic() > deadline:
                        raise UnsafeRequest("The server did not answer in time.")
                    chunks.append(chunk)
                return Response(status=status, headers={k.lower(): v for k, v in response.headers.items()},
                                body=b"".join(chunks))
            finally:
                response.release_conn()
    except UnsafeRequest:
        raise
    except urllib3.exceptions.NewConnectionError as exc:  # a subclass of the timeout error, but not one
        logger.info("safehttp: %s %s failed to connect (%r)", method, url, exc)
        raise UnsafeRequest("The server could not be reached.") from exc
    except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        logger.info("safehttp: %s %s timed out (%r)", method, url, exc)
        raise UnsafeRequest("The server did not answer in time.") from exc
    except urllib3.exceptions.SSLError as exc:
        logger.info("safehttp: %s %s TLS failure (%r)", method, url, exc)
        raise UnsafeRequest("The server's TLS certificate could not be verified.") from exc
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:  # ValueError: a header http.client refuses
        logger.info("safehttp: %s %s failed (%r)", method, url, exc)
        raise UnsafeRequest("The server could not be reached.") from exc


def get(url: str, **kwargs: Any) -> Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> Response:
    return request("POST", url, **kwargs)
