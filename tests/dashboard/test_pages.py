"""What every dashboard page shares: its own stylesheet (no inline styles or scripts), one place
for form errors, messages that say what changed, a branded 404, copy buttons."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Hosted end-user pages (templates/signup/) are branded per project and styled on their own.
DASHBOARD_TEMPLATES = [p for p in TEMPLATES.rglob("*.html") if "signup" not in p.relative_to(TEMPLATES).parts]


@pytest.mark.parametrize("template", DASHBOARD_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_styles_or_handlers(template):
    text = template.read_text()
    assert "<style" not in text and "style=" not in text
    assert not re.search(r"\son[a-z]+=", text)  # onsubmit=, onclick=: behaviour lives in static/js


def test_the_pages_load_the_stylesheet_and_script_from_static(alice_browser, alice):
    page = alice_browser.get(f"/dashboard/projects/{alice.project.public_id}/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    assert '<script src="/static/js/dashboard.js" defer></script>' in page
    assert alice_browser.get("/static/css/app.css").status_code == 200


def test_a_form_error_is_shown_once(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers/new/?mode=test"
    data = {"slug": "free", "name": "Again", "price_cents": 0, "currency": "usd", "interval": "month", "order": 0,
            "mode": "test"}
    page = alice_browser.post(base, data).content.decode()
    assert page.count("already exists in test mode") == 1
    assert 'class="form-errors" role="alert"' in page
    page = alice_browser.post(base, {**data, "slug": "new", "currency": "dollars"}).content.decode()
    assert page.count("Ensure this value has at most 3 characters") == 1
    assert "Please correct the marked field below." in page
    assert 'aria-invalid="true"' in page


def test_messages_name_what_changed(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}"
    response = alice_browser.post(f"{base}/tiers/new/?mode=test", {
        "slug": "pro", "name": "Pro", "price_cents": 900, "currency": "usd", "interval": "month", "order": 1,
        "mode": "test"}, follow=True)
    assert "Tier pro created in test mode." in response.content.decode()
    response = alice_browser.post(f"{base}/settings/", {"name": "Renamed", "rate_limit_per_minute": 10,
                                                        "allowed_origins": ""}, follow=True)
    assert "Settings of Renamed saved." in response.content.decode()
    response = alice_browser.post(f"{base}/keys/revoke/", {"mode": "test", "kind": "sk"}, follow=True)
    assert "The test secret key is revoked." in response.content.decode()


def test_a_missing_page_is_the_branded_404(alice_browser, settings):
    settings.DEBUG = False
    response = alice_browser.get("/dashboard/projects/prj_doesnotexist/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "This page does not exist" in body and "/static/css/app.css" in body
    assert alice_browser.get("/api/nope").json()["code"] == "not_found"  # the API stays JSON


def test_the_500_page_is_branded_and_needs_nothing_but_static(settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html and "/static/css/app.css" in html


def test_keys_and_ids_have_copy_buttons_and_a_new_project_gets_its_env_and_curl(alice_browser, alice):
    response = alice_browser.post("/dashboard/", {"name": "Fresh", "kind": "saas"})
    body = response.content.decode()
    secret = re.search(r"sk_test_[A-Za-z0-9]{40}", body).group(0)
    assert f'data-copy="{secret}"' in body and f"DREAM_SECRET_KEY={secret}" in body
    project = alice.platform.projects.get(name="Fresh")
    overview = alice_browser.get(f"/dashboard/projects/{project.public_id}/").content.decode()
    assert "Get started in test mode" in overview and "curl -s -X POST" in overview and 'href="/api/docs/"' in overview
    assert f'data-copy="{project.public_id}"' in overview
