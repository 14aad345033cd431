"""The whole journey in headless Chromium against a live server: sign up on the hosted page,
open the e-mailed link, land on the app's redirect with a code, exchange it with the secret
key over HTTP, and call the API as the end user with X-User-Token."""

import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail

from .conftest import PASSWORD, REDIRECT, hosted_url, link_from_outbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None,
                       reason="Chromium is not installed (apt-get install -y chromium chromium-driver)"),
]


playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = playwright_api.expect


@pytest.fixture
def browser_page():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A phone-sized viewport: the pages must work there.
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def test_sign_up_in_a_browser_and_come_back_signed_in(live_server, settings, alice_pages, browser_page):
    settings.SITE_URL = live_server.url
    page = browser_page
    landed: list[str] = []

    # The developer's app at https://app.example.test: the browser's request to it is answered
    # here, so the test sees exactly the URL dream-api sent the browser to.
    def app(route):
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Welcome back to the app</h1>")

    page.route("https://app.example.test/**", app)

    page.goto(live_server.url + hosted_url("/signup", alice_pages))
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "id_email"

    # A weak password: the error is announced and the field points at it.
    page.get_by_label("E-mail address").fill("frank@example.com")
    page.get_by_label("Password").fill("12345678")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_be_visible()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    assert "id_password_errors" in password.get_attribute("aria-describedby")
    expect(page.locator("#id_password_errors")).to_contain_text("password")
    assert page.evaluate("document.activeElement.id") == "id_password"

    password.fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert mail.outbox and mail.outbox[-1].to == ["frank@example.com"]

    page.goto(link_from_outbox("signup/verify"))
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("heading", name="Welcome back to the app").wait_for()

    assert len(landed) == 1
    url = urlsplit(landed[0])
    assert f"{url.scheme}://{url.netloc}{url.path}" == REDIRECT
    code = parse_qs(url.query)["code"][0]

    # The developer's backend, over HTTP.
    exchanged = requests.post(f"{live_server.url}/api/auth/exchange", json={"code": code, "redirectUri": REDIRECT},
                              headers={"Authorization": f"Bearer {alice_pages.sk}"}, timeout=10)
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["customer"]["email"] == "frank@example.com"

    usage = requests.get(f"{live_server.url}/api/usage", timeout=10,
                         headers={"Authorization": f"Bearer {alice_pages.sk}", "X-User-Token": body["token"]})
    assert usage.status_code == 200, usage.text
    assert usage.json()["plan"] == "free"
