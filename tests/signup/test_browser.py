"""Whole journeys in headless Chromium against a live server.

1. A backend app: sign up on the hosted page, open the e-mailed link, land on the app's
   redirect with a code, exchange it with the secret key over HTTP, call the API as the end
   user with X-User-Token.
2. A browser-only app (one static page with the publishable key, no backend): sign up with
   PKCE, exchange in the browser, /account (name, back with a fresh code), refresh and sign
   out with the token, /refresh without a session.

``SIGNUP_SCREENSHOTS=<folder>`` saves screenshots of /account and /refresh at 1280 and 390 px."""

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


# --- a browser-only app: publishable key + PKCE, /account, /refresh ---------------------------------

BROWSER_APP = """<!doctype html>
<html><head><meta charset="utf-8"><title>Browser-only app</title></head>
<body>
<h1 id="who">Not signed in</h1>
<button id="signup">Sign up</button> <button id="account">Account</button>
<button id="refresh-token">Refresh token</button> <button id="signout">Sign out</button>
<script>
const API = "__API__", PK = "__PK__", REDIRECT = "__REDIRECT__";
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
async function go(path) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem("verifier", verifier);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({pk: PK, redirect: REDIRECT, code_challenge: b64url(digest),
                                     code_challenge_method: "S256"});
  location.href = `${API}${path}?${query}`;
}
async function auth(path, body) {
  const response = await fetch(`${API}/api/auth/${path}`, {method: "POST", body: JSON.stringify(body),
    headers: {"Authorization": `Bearer ${PK}`, "Content-Type": "application/json"}});
  return [response.ok, await response.json()];
}
function show(ok, body) {
  if (ok && body.token) localStorage.setItem("token", body.token);
  document.getElementById("who").textContent =
    ok ? (body.token ? `Hello ${body.customer.firstName || body.customer.email}` : "Signed out") : `Error ${body.code}`;
}
document.getElementById("signup").onclick = () => go("/signup");
document.getElementById("account").onclick = () => go("/account");
document.getElementById("refresh-token").onclick = async () =>
  show(...await auth("refresh", {token: localStorage.getItem("token")}));
document.getElementById("signout").onclick = async () =>
  show(...await auth("revoke", {token: localStorage.getItem("token")}));
const code = new URLSearchParams(location.search).get("code");
if (code) {
  history.replaceState(null, "", REDIRECT);
  auth("exchange", {code, redirectUri: REDIRECT, codeVerifier: sessionStorage.getItem("verifier")})
    .then(([ok, body]) => show(ok, body));
}
</script>
</body></html>
"""


def _screenshot(page, name: str) -> None:
    """Screenshots of the hosted pages at desktop and phone width, when SIGNUP_SCREENSHOTS names a folder."""
    import os

    folder = os.environ.get("SIGNUP_SCREENSHOTS")
    if not folder:
        return
    size = page.viewport_size
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size(size)


@pytest.fixture
def browser_app(alice_pages, live_server):
    """The developer's browser-only app: one static page, served from its own origin on
    loopback (a page on a public origin may not call a loopback server at all in Chromium)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    served: list[str] = []

    class App(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            served.append(self.path)
            body = self.server.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    redirect = f"{origin}/auth/callback"
    server.html = (BROWSER_APP.replace("__API__", live_server.url).replace("__PK__", alice_pages.pk)
                   .replace("__REDIRECT__", redirect))
    from .conftest import allow_redirects

    allow_redirects(alice_pages, origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield redirect, served, server.html
    finally:
        server.shutdown()
        server.server_close()


def test_a_browser_only_app_signs_up_with_pkce_manages_the_account_and_refreshes(
        live_server, settings, alice_pages, browser_app, browser_page):
    settings.SITE_URL = live_server.url
    page = browser_page
    redirect, served, html = browser_app
    assert alice_pages.sk not in html  # the app holds the publishable key only
    page.goto(redirect)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("E-mail address").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    # The link, in the same browser: no password asked again, back in the app with a code
    # that the app exchanges itself, with the publishable key and its PKCE verifier.
    page.goto(link_from_outbox("signup/verify"))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", name="Hello grace@example.com")).to_be_visible()
    assert any(path.startswith("/auth/callback?code=") for path in served)
    token = page.evaluate("localStorage.getItem('token')")
    usage = requests.get(f"{live_server.url}/api/usage", timeout=10,
                         headers={"Authorization": f"Bearer {alice_pages.sk}", "X-User-Token": token})
    assert usage.status_code == 200, usage.text

    # /account: signed in already (the hosted session), edit the name, go back with a new code.
    page.get_by_role("button", name="Account").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    _screenshot(page, "account")
    page.get_by_label("First name").fill("Grace")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("status")).to_contain_text("Your name has been saved.")
    page.get_by_role("button", name="Back to Alice's app").click()
    expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()

    # The token refreshes in the browser, then signing out revokes it (and the hosted session).
    page.get_by_role("button", name="Refresh token").click()
    expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    revoked = requests.get(f"{live_server.url}/api/usage", timeout=10, headers={
        "Authorization": f"Bearer {alice_pages.sk}", "X-User-Token": page.evaluate("localStorage.getItem('token')")})
    assert revoked.status_code == 401

    # /refresh (e.g. Stripe's success URL): no session any more, so sign in first, then back.
    page.goto(f"{live_server.url}/refresh?pk={alice_pages.pk}&redirect={redirect}")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    _screenshot(page, "refresh-sign-in")
    page.get_by_label("E-mail address").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # This /refresh URL carried no code_challenge, so its code is for a backend: the browser
    # app cannot exchange it (an app builds the URL with its challenge, as go() does).
    expect(page.get_by_role("heading", name="Error secret_key_required")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    page.get_by_role("button", name="Back to Alice's app").click()
    expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()
