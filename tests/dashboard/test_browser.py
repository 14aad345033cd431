"""The overview, the end-user list and detail, and the totals in headless Chromium, at a desktop
width (1280 px) and a phone width (390 px): the numbers of the hand-worked fixture are on the
page, the charts are drawn, and nothing is wider than the screen.

Set DASHBOARD_SCREENSHOTS=/some/dir to keep a full-page screenshot of each page."""

import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
import time_machine
from django.test import Client

from .conftest import build_shop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("chromium") is None and not os.path.exists(CHROMIUM),
                       reason="Chromium is not installed"),
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = playwright_api.expect


@pytest.fixture
def shop_at_noon(alice):
    with time_machine.travel(NOW, tick=True):
        yield build_shop(alice, NOW)


@contextmanager
def chromium_page(live_server, user, width: int):
    """A Chromium page signed in as ``user``, ``width`` pixels wide (``page.width``)."""
    client = Client()
    client.force_login(user)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
        # A session cookie (no expiry): the server's clock may be in a fixture's past.
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.width = width
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def dashboard_page(request, live_server, alice, shop_at_noon):
    """Chromium signed in as alice, at one width."""
    with chromium_page(live_server, alice.user, request.param) as page:
        yield page


def visit(page, url: str, name: str) -> None:
    page.goto(url)
    look(page, name)


def look(page, name: str) -> None:
    """The page as it is now: a screenshot if asked for, and nothing sideways (tables scroll
    inside their card or turn into cards)."""
    shots = os.environ.get("DASHBOARD_SCREENSHOTS")
    if shots:
        os.makedirs(shots, exist_ok=True)
        page.screenshot(path=os.path.join(shots, f"{name}-{page.width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width


def metric(page, label: str):
    return page.locator(".metric", has=page.locator("dt", has_text=label)).locator("dd")


def test_the_overview_shows_the_numbers_and_the_charts(dashboard_page, live_server, alice):
    page = dashboard_page
    visit(page, f"{live_server.url}/dashboard/projects/{alice.project.public_id}/?mode=test", "overview")
    expect(page.get_by_role("heading", name="Alice's app")).to_be_visible()
    expect(metric(page, "MRR")).to_contain_text("$92.00")
    expect(metric(page, "Active subscriptions")).to_contain_text("6")
    expect(metric(page, "Active subscriptions")).to_contain_text("1 canceling")
    expect(metric(page, "Revenue this month")).to_contain_text("$259.00")
    expect(metric(page, "End users")).to_contain_text("11")
    expect(metric(page, "End users")).to_contain_text("8 new this month")
    expect(metric(page, "Calls this period")).to_contain_text("11")
    expect(metric(page, "Failed Stripe events")).to_contain_text("1")
    charts = page.get_by_role("img")
    expect(charts).to_have_count(3)
    expect(page.locator("svg title", has_text="Tracked calls")).to_have_count(1)
    # Each day is a bar with its value: March 13 had 5 calls.
    expect(page.locator("svg rect.bar title", has_text="Mar 13: 5")).to_have_count(1)
    assert page.locator("figure.chart").first.bounding_box()["width"] <= page.width
    page.get_by_role("link", name="90 days").click()
    expect(page.get_by_role("heading", name="Last 90 days")).to_be_visible()


@pytest.fixture
def free_limit_of_two(alice, shop_at_noon):
    """ivy (free) used 2 calls: at her limit. (Set before the browser starts: Playwright's
    event loop forbids database calls in the test while it runs.)"""
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=2)


def test_the_end_user_list_filters_sorts_and_marks_the_limit(free_limit_of_two, dashboard_page, live_server, alice):
    page = dashboard_page
    visit(page, f"{live_server.url}/dashboard/projects/{alice.project.public_id}/users/?mode=test&sort=-usage",
          "end-users")
    expect(page.get_by_role("heading", name="11 end users")).to_be_visible()
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("ada@example.com")
    expect(first).to_contain_text("8 / 1,000")
    ivy = page.locator("tbody tr", has_text="ivy@example.com")
    expect(ivy.locator(".at-limit")).to_have_text("at limit")
    expect(page.locator("tbody tr", has_text="dan@example.com")).to_contain_text("canceling")
    page.get_by_label("Status").select_option("canceling")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="1 end user found")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert "status=canceling" in page.get_by_role("link", name="Export CSV").get_attribute("href")


def test_the_end_user_page_and_its_actions(dashboard_page, live_server, alice, shop_at_noon):
    page = dashboard_page
    ada = shop_at_noon.users["ada"]
    visit(page, f"{live_server.url}/dashboard/projects/{alice.project.public_id}/users/{ada.public_id}/?mode=test",
          "end-user")
    expect(page.get_by_role("heading", name="ada@example.com")).to_be_visible()
    expect(metric(page, "Plan")).to_contain_text("Pro")
    expect(metric(page, "Usage this period")).to_contain_text("8")
    expect(page.get_by_text("renews Apr 4, 2026").first).to_be_visible()
    expect(page.locator("svg rect.bar title", has_text="Mar 15: 3")).to_have_count(1)
    page.get_by_label("Reset this period's usage: reason").fill("Counted twice by a client bug")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset usage").click()
    expect(page.get_by_role("status").first).to_contain_text("8 calls this period cleared")
    expect(metric(page, "Usage this period")).to_contain_text("0")


def test_the_totals_across_projects(dashboard_page, live_server, alice):
    page = dashboard_page
    visit(page, f"{live_server.url}/dashboard/?mode=test", "totals")
    expect(metric(page, "MRR")).to_contain_text("$92.00")
    expect(metric(page, "Revenue this month")).to_contain_text("$259.00")
    expect(metric(page, "Revenue this month")).to_contain_text("$274.00 all time")
    row = page.locator("tbody tr", has_text="Alice's app")
    expect(row).to_contain_text("$92.00")
    expect(row).to_contain_text("11")
    page.get_by_role("link", name="Live", exact=True).click()
    expect(metric(page, "Revenue this month")).to_contain_text("$999.00")
