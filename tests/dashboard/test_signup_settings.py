"""The developer's sign-up page in the dashboard."""

import pytest

from signup.models import SigningKey, SignupSettings
from signup.tokens import end_user_token_issue
from tests.signup.conftest import verified_user

pytestmark = pytest.mark.django_db


def url(tenant) -> str:
    return f"/dashboard/projects/{tenant.project.public_id}/signup/"


def form_data(**overrides):
    data = {
        "display_name": "Acme", "logo_url": "", "accent_color": "#112233",
        "redirect_origins": "https://app.acme.test\nhttp://localhost:3000/",
        "oidc_issuer": "", "oidc_client_id": "", "oidc_client_secret": "", "oidc_button_label": "",
    }
    data.update(overrides)
    return data


def test_another_developer_gets_404(client, alice, bob):
    client.force_login(bob.user)
    assert client.get(url(alice)).status_code == 404
    assert client.post(url(alice), form_data()).status_code == 404
    assert client.post(f"{url(alice)}rotate-key/").status_code == 404
    assert not SignupSettings.objects.filter(project=alice.project).exists()


def test_it_needs_a_login(client, alice):
    response = client.get(url(alice))
    assert response.status_code == 302
    assert "/accounts/login/" in response.headers["Location"]


def test_it_shows_the_exact_urls_for_both_modes(client, alice):
    client.force_login(alice.user)
    html = client.get(url(alice)).content.decode()
    for mode in ("test", "live"):
        pk = alice.keys[mode]["publishableKey"]
        assert f"/signup?pk={pk}&amp;redirect=" in html
        assert f"/signin?pk={pk}&amp;redirect=" in html
    assert f"/.well-known/jwks/{alice.project.public_id}.json" in html
    assert "/signin/oidc/callback" in html


def test_it_saves_branding_and_normalized_origins(client, alice):
    client.force_login(alice.user)
    response = client.post(url(alice), form_data())
    assert response.status_code == 302
    row = SignupSettings.objects.get(project=alice.project)
    assert row.display_name == "Acme"
    assert row.accent_color == "#112233"
    assert row.redirect_origins == ["https://app.acme.test", "http://localhost:3000"]


@pytest.mark.parametrize("origin", ["https://app.acme.test/path", "javascript:alert(1)", "app.acme.test"])
def test_it_refuses_an_origin_that_is_not_one(client, alice, origin):
    client.force_login(alice.user)
    response = client.post(url(alice), form_data(redirect_origins=origin))
    assert response.status_code == 400
    assert not SignupSettings.objects.filter(project=alice.project).exists()


def test_it_refuses_an_accent_colour_that_could_inject_css(client, alice):
    client.force_login(alice.user)
    response = client.post(url(alice), form_data(accent_color="red;}body{display:none"))
    assert response.status_code == 400


def test_rotating_the_key_from_the_dashboard(client, alice):
    client.force_login(alice.user)
    end_user_token_issue(end_user=verified_user(alice))
    old = SigningKey.objects.get(project=alice.project)
    response = client.post(f"{url(alice)}rotate-key/")
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.retired_at is not None and old.verify_until > old.retired_at
    assert SigningKey.objects.filter(project=alice.project, retired_at__isnull=True).count() == 1
    html = client.get(url(alice)).content.decode()
    assert old.kid in html and "retired" in html


def test_outside_development_an_http_issuer_is_refused(client, alice, settings):
    settings.SIGNUP_OIDC_ALLOW_HTTP = False
    client.force_login(alice.user)
    response = client.post(url(alice), form_data(oidc_issuer="http://idp.internal", oidc_client_id="x",
                                                  oidc_client_secret="y"))
    assert response.status_code == 400
    assert b"starts with https://" in response.content
