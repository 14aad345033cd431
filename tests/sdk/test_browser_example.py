"""The browser-only example (examples/browser) in headless Chromium, with the built TypeScript
bundle and only the publishable key (issue 9's acceptance test): sign up on the hosted page,
come back with a code, exchange it with PKCE, track usage, pay for the paid tier on the Stripe
stand-in's Checkout page and come back through /refresh with the new plan. No secret key may
appear in anything the browser loads."""

from __future__ import annotations

import importlib.util
import re
import shutil
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail

from signup.models import SignupSettings

from .conftest import PAID_TIER, REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "violet-harbour-lantern-42"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (apt-get install chromium)"),
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = playwright_api.expect


def _load_example_server():
    path = REPO / "examples" / "browser" / "serve.py"
    spec = importlib.util.spec_from_file_location("browser_example_serve", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example(live_project, ts_sdk_built):
    """The example page served from its own origin, allowed in the project (CORS and redirects)."""
    serve = _load_example_server()
    server = serve.make_server(publishable_key=live_project.tenant.pk, base_url=live_project.url, port=0, quiet=True)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    project = live_project.tenant.project
    project.allowed_origins = [*project.allowed_origins, origin]
    project.save(update_fields=["allowed_origins"])
    settings_row = SignupSettings.objects.get(project=project)
    settings_row.redirect_origins = [*settings_row.redirect_origins, origin]
    settings_row.save()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def open_page(browser, width: int = 390, height: int = 844):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    loaded: list[tuple[str, bytes]] = []

    def keep(response):
        try:
            loaded.append((response.url, response.body()))
        except Exception:  # a redirect or an aborted load has no body
            pass

    page.on("response", keep)
    return page, loaded


def assert_no_secret_key(loaded: list[tuple[str, bytes]], secret_key: str, page) -> None:
    assert loaded
    for url, body in loaded:
        assert secret_key.encode() not in body and b"sk_test_" not in body and b"sk_live_" not in body, url
    html = page.content()
    assert secret_key not in html and "sk_test_" not in html


def test_the_page_lists_the_tiers_and_starts_a_pkce_sign_up(example, live_project, browser, tmp_path):
    page, loaded = open_page(browser, 1280, 800)
    page.goto(f"{example}/index.html")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    expect(page.locator("#tiers")).to_contain_text("Pro")
    expect(page.locator("#tiers")).to_contain_text("$15.00/mo")
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()
    page.screenshot(path=str(tmp_path / "example-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "example-390.png"), full_page=True)
    assert_no_secret_key(loaded, live_project.tenant.sk, page)

    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    hosted = urlsplit(page.url)
    query = parse_qs(hosted.query)
    assert f"{hosted.scheme}://{hosted.netloc}{hosted.path}" == f"{live_project.url}/signup"
    assert query["pk"] == [live_project.tenant.pk]
    assert query["redirect"] == [f"{example}/index.html"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    # The verifier stays in the tab (sessionStorage of the app's origin), never in a URL.
    assert "code_verifier" not in query and "codeVerifier" not in query


def test_sign_up_come_back_track_and_upgrade_with_only_the_publishable_key(example, live_project, browser, tmp_path):
    page, loaded = open_page(browser)
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url) if request.is_navigation_request() else None)
    page.goto(f"{example}/index.html")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("E-mail address").fill("browser.only@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    link = next(word for word in mail.outbox[-1].body.split() if "/signup/verify?t=" in word)
    page.goto(link)
    page.get_by_role("button", name="Confirm and continue").click()

    # Back on the app: the page exchanged the code with its verifier and removed it from the URL.
    expect(page.get_by_role("heading", name="Signed in as browser.only@example.com")).to_be_visible()
    assert "code=" not in page.url and page.url.startswith(example)
    expect(page.locator("#plan")).to_have_text("free")

    page.get_by_role("button", name="Write a note").click()
    expect(page.locator("#status")).to_have_text("Note saved.")
    expect(page.locator("#usage-text")).to_have_text("1 of 100")
    page.screenshot(path=str(tmp_path / "signed-in-390.png"), full_page=True)

    # Upgrade: the stand-in's Checkout page, Pay, back through dream-api's /refresh with a new code.
    page.get_by_role("button", name="Upgrade to Pro").click()
    page.wait_for_url(lambda url: "/checkout/" in url)
    assert not page.url.startswith(example)
    expect(page.get_by_text("Paying as browser.only@example.com")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.locator("#plan")).to_have_text(PAID_TIER, timeout=30_000)
    expect(page.locator("#status")).to_have_text("Thank you! Your plan is upgraded.")
    expect(page.get_by_role("button", name="Upgrade to Pro")).to_be_hidden()
    assert page.url == f"{example}/index.html", page.url
    refreshed = [url for url in visited if urlsplit(url).path == "/refresh"]
    assert refreshed and refreshed[0].startswith(f"{live_project.url}/refresh?"), visited
    assert parse_qs(urlsplit(refreshed[0]).query)["code_challenge_method"] == ["S256"]
    # The server agrees: the end user is on the paid tier, with the note counted.
    usage = requests.get(f"{live_project.url}/api/usage", timeout=10, headers={
        "Authorization": f"Bearer {live_project.tenant.sk}", "X-User-Id": _end_user_id(live_project, "browser.only@example.com")})
    assert (usage.json()["plan"], usage.json()["usageCount"]) == (PAID_TIER, 1)
    page.screenshot(path=str(tmp_path / "upgraded-390.png"), full_page=True)
    assert_no_secret_key(loaded, live_project.tenant.sk, page)


def _end_user_id(live_project, email: str) -> str:
    answer = requests.get(f"{live_project.url}/api/customers", params={"search": email}, timeout=10,
                          headers={"Authorization": f"Bearer {live_project.tenant.sk}"})
    (customer,) = answer.json()["customers"]
    return customer["id"]
