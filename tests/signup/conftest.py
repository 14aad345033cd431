"""Fixtures for the hosted sign-up: an allowlisted redirect, verified end users, codes, and a
real OpenID Connect provider (panva/oidc-provider under node) started once per session."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail

from signup.models import SignupSettings
from signup.selectors import AppReturn
from signup.services import sign_in_code_issue

APP_ORIGIN = "https://app.example.test"
REDIRECT = f"{APP_ORIGIN}/auth/callback"
PASSWORD = "violet-harbour-lantern-42"
OIDC_SITE_URL = "http://dreamapi.test"
OIDC_CLIENT_ID = "dreamapi-tests"
PROVIDER_DIR = Path(__file__).parent / "oidc_provider"


def allow_redirects(tenant, *origins: str) -> SignupSettings:
    row, _ = SignupSettings.objects.get_or_create(project=tenant.project)
    row.redirect_origins = list(origins or (APP_ORIGIN,))
    row.save()
    return row


@pytest.fixture
def alice_pages(alice):
    """Alice's project with https://app.example.test allowed as a redirect origin."""
    allow_redirects(alice)
    return alice


def hosted_url(path: str, tenant, redirect: str = REDIRECT, pk: str | None = None) -> str:
    from urllib.parse import urlencode

    return f"{path}?{urlencode({'pk': pk or tenant.pk, 'redirect': redirect})}"


def code_from(location: str) -> str:
    return parse_qs(urlsplit(location).query)["code"][0]


def verified_user(tenant, email: str = "carol@example.com", password: str = PASSWORD, mode: str = "test"):
    return tenant.end_user(email=email, password=password, email_verified=True, mode=mode)


def issue_code(end_user, redirect: str = REDIRECT, code_challenge: str = "") -> str:
    return sign_in_code_issue(end_user=end_user, back=AppReturn(redirect_uri=redirect, code_challenge=code_challenge),
                              method="password")


def link_from_outbox(kind: str) -> str:
    """The last e-mailed link to /signup/verify or /signin/reset."""
    assert mail.outbox, "no e-mail was sent"
    match = re.search(rf"https?://\S+/{kind}\?t=\S+", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# --- the OpenID provider -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OidcProvider:
    def __init__(self, issuer: str, client_id: str, client_secret: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret


@pytest.fixture(scope="session")
def oidc_provider():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the OpenID provider tests run panva/oidc-provider under node")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the test OpenID provider is not installed: run `npm ci --prefix tests/signup/oidc_provider`")
    port = _free_port()
    client_secret = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": OIDC_CLIENT_ID,
        "CLIENT_SECRET": client_secret,
        "REDIRECT_URI": f"{OIDC_SITE_URL}/signin/oidc/callback",
    }
    process = subprocess.Popen([node, "server.mjs"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the test OpenID provider did not start (exit code {process.poll()})")
            time.sleep(0.1)
        yield OidcProvider(issuer=issuer, client_id=OIDC_CLIENT_ID, client_secret=client_secret)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
