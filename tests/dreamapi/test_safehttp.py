"""dreamapi.safehttp: outbound fetches of URLs others chose never reach our own network.

Real HTTP servers on loopback stand for the internal services an attacker would aim at."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dreamapi import safehttp
from dreamapi.safehttp import UnsafeRequest, address_allowed

SECRET = b'{"secret": "internal-service-data"}'


class Server:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, respond=None) -> None:
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits.append(self.path)
                (respond or _json_secret)(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _json_secret(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(SECRET)))
    handler.end_headers()
    handler.wfile.write(SECRET)


@contextmanager
def serving(**kwargs):
    server = Server(**kwargs)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def loopback_allowed(settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = True


@pytest.fixture
def loopback_refused(settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = False


def fetch(url: str, **kwargs):
    return safehttp.get(url, schemes=("http", "https"), **kwargs)


def assert_generic(exc: UnsafeRequest, *forbidden: str) -> None:
    message = str(exc)
    for text in ("internal-service-data", "127.0.0.1", "Error", "Exception", "refused", *forbidden):
        assert text not in message, message


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.9.9.9", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.0.192",
    "192.0.2.10", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1",
])
def test_non_public_addresses_are_refused(address):
    assert address_allowed(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111",
                                     "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(ipaddress.ip_address(address)) is True


def test_the_loopback_switch_opens_loopback_only():
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is True
    assert address_allowed(ipaddress.ip_address("::1"), allow_loopback=True) is True
    for other in ("10.0.0.1", "169.254.169.254", "192.168.1.1", "::ffff:10.0.0.1"):
        assert address_allowed(ipaddress.ip_address(other), allow_loopback=True) is False


def test_the_switch_is_off_by_default():
    from django.conf import settings

    assert settings.SAFEHTTP_ALLOW_LOOPBACK is False


def test_a_server_on_loopback_is_refused_before_any_connection(loopback_refused):
    with serving() as internal:
        for url in (internal.url + "/", f"http://localhost:{internal.port}/", f"http://[::ffff:127.0.0.1]:{internal.port}/",
                    f"http://2130706433:{internal.port}/", f"http://0x7f.1:{internal.port}/"):
            with pytest.raises(UnsafeRequest) as refused:
                fetch(url)
            assert "not on the public internet" in str(refused.value) or "resolved" in str(refused.value), url
            assert_generic(refused.value)
        assert internal.hits == []


def test_a_dns_name_that_resolves_to_loopback_is_refused(loopback_refused, monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "innocent.example.test":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", resolver)
    with serving() as internal:
        with pytest.raises(UnsafeRequest) as refused:
            fetch(f"http://innocent.example.test:{internal.port}/")
        assert_generic(refused.value)
        with pytest.raises(UnsafeRequest):
            safehttp.check_url(f"https://innocent.example.test:{internal.port}/")
        assert internal.hits == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(loopback_refused, monkeypatch):
    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", resolver)
    with pytest.raises(UnsafeRequest, match="not on the public internet"):
        fetch("http://mixed.example.test/")


def test_with_the_switch_on_a_loopback_server_is_reached(loopback_allowed):
    with serving() as server:
        response = fetch(server.url + "/hello?x=1")
    assert response.status == 200
    assert response.json() == {"secret": "internal-service-data"}
    assert server.hits == ["/hello?x=1"]


def test_the_connection_goes_to_the_address_that_was_checked(loopback_allowed, monkeypatch):
    """DNS rebinding: the first answer passes the check, a later one would point elsewhere.
    The fetch resolves once and connects to the checked address."""
    with serving(host="127.0.0.1") as checked:
        with serving(host="127.0.0.2", port=checked.port) as rebound:
            answers = iter(["127.0.0.1"] + ["127.0.0.2"] * 10)
            calls = []
            real = socket.getaddrinfo

            def resolver(host, port, *args, **kwargs):
                if host != "rebind.example.test":  # an address literal resolves to itself
                    return real(host, port, *args, **kwargs)
                calls.append(host)
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

            monkeypatch.setattr(safehttp.socket, "getaddrinfo", resolver)
            response = fetch(f"http://rebind.example.test:{checked.port}/x")
            assert response.status == 200
            assert checked.hits == ["/x"]
            assert rebound.hits == []
            assert calls == ["rebind.example.test"]


def _redirect_to(target: str):
    def respond(handler):
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


def test_a_redirect_is_not_followed(loopback_allowed):
    with serving() as internal:
        for target in (internal.url + "/admin", "http://169.254.169.254/latest/meta-data/"):
            with serving(respond=_redirect_to(target)) as redirector:
                with pytest.raises(UnsafeRequest, match="redirect") as refused:
                    fetch(redirector.url + "/.well-known/openid-configuration")
                assert redirector.hits == ["/.well-known/openid-configuration"]
                assert_generic(refused.value, "169.254")
        assert internal.hits == []


def _big(chunked: bool):
    def respond(handler):
        handler.send_response(200)
        body = b"x" * (2 * 1024 * 1024)
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for start in range(0, len(body), 65536):
                piece = body[start:start + 65536]
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.write(b"0\r\n\r\n")
        else:
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

    return respond


@pytest.mark.parametrize("chunked", [False, True])
def test_the_body_is_capped(loopback_allowed, chunked):
    with serving(respond=_big(chunked)) as server:
        with pytest.raises(UnsafeRequest, match="too large"):
            fetch(server.url + "/", max_bytes=64 * 1024)


def _drip(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    try:
        for _ in range(1000):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def test_a_server_that_drips_its_answer_meets_the_deadline(loopback_allowed, monkeypatch):
    monkeypatch.setattr(safehttp, "TOTAL_DEADLINE", 1.0)
    with serving(respond=_drip) as server:
        started = time.monotonic()
        with pytest.raises(UnsafeRequest, match="in time"):
            fetch(server.url + "/")
        assert time.monotonic() - started < 3


def _silent(handler):
    time.sleep(3)


def test_a_server_that_never_answers_times_out(loopback_allowed, monkeypatch):
    monkeypatch.setattr(safehttp, "READ_TIMEOUT", 0.5)
    with serving(respond=_silent) as server:
        with pytest.raises(UnsafeRequest, match="in time"):
            fetch(server.url + "/")


def test_a_closed_port_is_a_generic_error(loopback_allowed):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UnsafeRequest) as refused:
        fetch(f"http://127.0.0.1:{port}/")
    assert str(refused.value) == "The server could not be reached."


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/",
                                 "https://user:pass@example.com/", "https:///nohost", "http://exa mple.com/"])
def test_urls_that_are_not_plain_http_are_refused(url):
    with pytest.raises(UnsafeRequest):
        fetch(url)


def test_https_only_unless_the_caller_allows_http(loopback_allowed):
    with serving() as server:
        with pytest.raises(UnsafeRequest, match="https://"):
            safehttp.get(server.url + "/")
        assert server.hits == []


# --- https: the connection goes to the checked address, TLS still checks the host name ------


def _certificates(tmp_path, name: str):
    """A throwaway CA and a server certificate for ``name`` signed by it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "safehttp test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


@contextmanager
def serving_tls(tmp_path, name: str):
    import ssl

    ca_file, cert_file, key_file = _certificates(tmp_path, name)
    server = Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.thread.start()
    try:
        yield server, ca_file
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def names_to_loopback(monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host.endswith(".example.test"):
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", resolver)


def test_https_to_the_pinned_address_verifies_the_certificate_for_the_host_name(
        loopback_allowed, names_to_loopback, monkeypatch, tmp_path):
    trusted_bundle = safehttp.certifi.where()
    with serving_tls(tmp_path, "idp.example.test") as (server, ca_file):
        monkeypatch.setattr(safehttp.certifi, "where", lambda: str(ca_file))
        response = safehttp.get(f"https://idp.example.test:{server.port}/jwks")
        assert response.status == 200 and server.hits == ["/jwks"]
        # The same server under another name: its certificate does not match, refused.
        with pytest.raises(UnsafeRequest, match="certificate"):
            safehttp.get(f"https://other.example.test:{server.port}/jwks")
    with serving_tls(tmp_path, "idp.example.test") as (server, _ca_file):
        # Not signed by a CA we trust (the real bundle): refused.
        monkeypatch.setattr(safehttp.certifi, "where", lambda: trusted_bundle)
        with pytest.raises(UnsafeRequest, match="certificate"):
            safehttp.get(f"https://idp.example.test:{server.port}/jwks")
