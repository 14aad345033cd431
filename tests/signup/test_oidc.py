"""Sign-in with an OpenID Connect provider, against a real provider (panva/oidc-provider) run
by node: discovery, authorization code + state + nonce + PKCE, ID token checked with the
provider's JWKS, userinfo for the e-mail, then the usual one-time code redirect."""

import re
from urllib.parse import urljoin

import pytest
import requests

from signup import crypto
from signup.models import OidcIdentity, SignupSettings
from signup.services import signup_settings_update
from tenants.models import EndUser

from .conftest import OIDC_SITE_URL, PASSWORD, REDIRECT, code_from, hosted_url, relative, verified_user

pytestmark = pytest.mark.django_db

CALLBACK = f"{OIDC_SITE_URL}/signin/oidc/callback"


@pytest.fixture
def oidc_alice(alice_pages, oidc_provider, settings):
    settings.SITE_URL = OIDC_SITE_URL
    settings.SAFEHTTP_ALLOW_LOOPBACK = True  # the test provider runs on 127.0.0.1
    signup_settings_update(
        project=alice_pages.project, display_name="", logo_url="", accent_color="#3b5bdb",
        redirect_origins=["https://app.example.test"], oidc_issuer=oidc_provider.issuer,
        oidc_client_id=oidc_provider.client_id, oidc_client_secret=oidc_provider.client_secret,
        oidc_button_label="Continue with TestID",
    )
    return alice_pages


def _form_action(html: str, base: str) -> str:
    return urljoin(base, re.search(r'<form[^>]*action="([^"]+)"', html).group(1))


def provider_sign_in(authorize_url: str, login: str) -> str:
    """Play the end user at the provider: log in, consent. Returns the callback URL it sends us to."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=True, timeout=10)
    assert 'name="prompt" value="login"' in response.text, response.text[:500]
    response = browser.post(_form_action(response.text, response.url),
                            data={"prompt": "login", "login": login, "password": "anything"}, allow_redirects=False,
                            timeout=10)
    for _ in range(10):
        location = response.headers.get("Location")
        if location and location.startswith(CALLBACK):
            return location
        if location:
            response = browser.get(urljoin(response.url, location), allow_redirects=False, timeout=10)
        elif 'name="prompt" value="consent"' in response.text:
            response = browser.post(_form_action(response.text, response.url), data={"prompt": "consent"},
                                    allow_redirects=False, timeout=10)
        else:
            raise AssertionError(f"unexpected provider page: {response.status_code} {response.text[:500]}")
    raise AssertionError("the provider never redirected back")


def start(client, tenant):
    response = client.get(hosted_url("/signin/oidc/start", tenant))
    assert response.status_code == 303, response.content[:500]
    return response.headers["Location"]


def sign_in_with_provider(client, tenant, login):
    authorize_url = start(client, tenant)
    callback = provider_sign_in(authorize_url, login)
    return client.get(relative(callback))


def test_the_sign_in_page_offers_the_provider(client, oidc_alice):
    html = client.get(hosted_url("/signin", oidc_alice)).content.decode()
    assert "Continue with TestID" in html
    assert "/signin/oidc/start?" in html


def test_the_authorization_request_uses_state_nonce_and_pkce(client, oidc_alice, oidc_provider):
    url = start(client, oidc_alice)
    assert url.startswith(f"{oidc_provider.issuer}/auth?")
    for param in ("state=", "nonce=", "code_challenge=", "code_challenge_method=S256", "scope=openid+email+profile",
                  f"redirect_uri={requests.utils.quote(CALLBACK, safe='')}"):
        assert param in url, param


def test_a_new_end_user_signs_in_with_the_provider_and_the_app_exchanges_the_code(client, oidc_alice):
    response = sign_in_with_provider(client, oidc_alice, "olivia@example.com")
    assert response.status_code == 303, response.content[:800]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?code=")

    exchanged = oidc_alice.api().post("/api/auth/exchange", {"code": code_from(location), "redirectUri": REDIRECT},
                                      format="json")
    assert exchanged.status_code == 200, exchanged.json()
    customer = exchanged.json()["customer"]
    assert customer["email"] == "olivia@example.com"
    assert customer["emailVerified"] is True
    assert customer["plan"] == "free"
    assert (customer["firstName"], customer["lastName"]) == ("Test", "User")
    identity = OidcIdentity.objects.get()
    assert (identity.subject, identity.end_user.public_id) == ("olivia@example.com", customer["id"])
    usage = oidc_alice.api(HTTP_X_USER_TOKEN=exchanged.json()["token"]).get("/api/usage")
    assert usage.status_code == 200

    # Signing in again finds the same end user through the linked identity.
    again = sign_in_with_provider(client, oidc_alice, "olivia@example.com")
    assert again.status_code == 303
    assert EndUser.objects.filter(email="olivia@example.com").count() == 1


def test_an_existing_account_with_the_verified_email_is_linked_not_duplicated(client, oidc_alice):
    existing = verified_user(oidc_alice, email="carol@example.com", password=PASSWORD)
    response = sign_in_with_provider(client, oidc_alice, "carol@example.com")
    assert response.status_code == 303
    assert OidcIdentity.objects.get().end_user_id == existing.id
    assert EndUser.objects.filter(email__iexact="carol@example.com").count() == 1


def test_an_email_the_provider_has_not_verified_is_refused(client, oidc_alice):
    verified_user(oidc_alice, email="unverified-carol@example.com")
    response = sign_in_with_provider(client, oidc_alice, "unverified-carol@example.com")
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert not OidcIdentity.objects.exists()


def test_a_callback_with_a_state_from_elsewhere_is_refused(client, oidc_alice):
    authorize_url = start(client, oidc_alice)
    callback = provider_sign_in(authorize_url, "olivia@example.com")
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    response = client.get(relative(forged))
    assert response.status_code == 400
    assert "Location" not in response.headers
    # And the state works only in the browser that started the flow.
    from django.test import Client

    assert Client().get(relative(callback)).status_code == 400


def test_the_provider_enforces_our_pkce_verifier(client, oidc_alice):
    authorize_url = start(client, oidc_alice)
    callback = provider_sign_in(authorize_url, "olivia@example.com")
    session = client.session
    flows = session["signup_oidc"]
    for flow in flows.values():
        flow["verifier"] = "a-different-verifier-" + "x" * 40
    session["signup_oidc"] = flows
    session.save()
    response = client.get(relative(callback))
    assert response.status_code == 502
    assert b"refused the code" in response.content
    assert not EndUser.objects.filter(email="olivia@example.com").exists()


def test_an_id_token_for_another_nonce_is_refused(client, oidc_alice):
    authorize_url = start(client, oidc_alice)
    callback = provider_sign_in(authorize_url, "olivia@example.com")
    session = client.session
    flows = session["signup_oidc"]
    for flow in flows.values():
        flow["nonce"] = "not-the-nonce-sent"
    session["signup_oidc"] = flows
    session.save()
    response = client.get(relative(callback))
    assert response.status_code == 502
    assert b"nonce" in response.content
    assert not EndUser.objects.filter(email="olivia@example.com").exists()


def test_a_wrong_client_secret_is_refused_by_the_provider(client, oidc_alice, oidc_provider):
    signup_settings_update(
        project=oidc_alice.project, display_name="", logo_url="", accent_color="#3b5bdb",
        redirect_origins=["https://app.example.test"], oidc_issuer=oidc_provider.issuer,
        oidc_client_id=oidc_provider.client_id, oidc_client_secret="wrong-secret", oidc_button_label="",
    )
    response = sign_in_with_provider(client, oidc_alice, "olivia@example.com")
    assert response.status_code == 502
    assert "Location" not in response.headers


def test_the_dashboard_checks_the_issuer_by_discovery(client, alice, oidc_provider, settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = True
    client.force_login(alice.user)
    data = {"display_name": "", "logo_url": "", "accent_color": "#3b5bdb", "redirect_origins": "",
            "oidc_issuer": "http://127.0.0.1:9/nothing-here", "oidc_client_id": "x", "oidc_client_secret": "the-client-secret-value",
            "oidc_button_label": ""}
    bad = client.post(f"/dashboard/projects/{alice.project.public_id}/signup/", data)
    assert bad.status_code == 400
    assert b"not a usable OpenID Connect issuer" in bad.content
    good = client.post(f"/dashboard/projects/{alice.project.public_id}/signup/",
                       {**data, "oidc_issuer": oidc_provider.issuer})
    assert good.status_code == 302
    stored = SignupSettings.objects.get(project=alice.project)
    assert stored.oidc_enabled
    assert "the-client-secret-value" not in stored.oidc_client_secret_encrypted
    assert crypto.decrypt(stored.oidc_client_secret_encrypted) == "the-client-secret-value"
    assert b"the-client-secret-value" not in client.get(f"/dashboard/projects/{alice.project.public_id}/signup/").content


def test_a_pkce_challenge_is_carried_through_the_provider_to_the_code(client, oidc_alice):
    from urllib.parse import urlencode

    from signup.pkce import s256

    verifier = "v" * 20 + "erifier-of-a-browser-app-0123456789"
    query = urlencode({"pk": oidc_alice.pk, "redirect": REDIRECT, "code_challenge": s256(verifier),
                       "code_challenge_method": "S256"})
    started = client.get(f"/signin/oidc/start?{query}")
    assert started.status_code == 303
    response = client.get(relative(provider_sign_in(started.headers["Location"], "olivia@example.com")))
    assert response.status_code == 303
    code = code_from(response.headers["Location"])
    body = {"code": code, "redirectUri": REDIRECT}
    assert oidc_alice.api(oidc_alice.pk).post("/api/auth/exchange", body, format="json").status_code == 400
    exchanged = oidc_alice.api(oidc_alice.pk).post("/api/auth/exchange", {**body, "codeVerifier": verifier},
                                                   format="json")
    assert exchanged.status_code == 200, exchanged.json()
    assert exchanged.json()["customer"]["email"] == "olivia@example.com"


def test_signing_in_with_the_provider_from_the_account_page_continues_there(client, oidc_alice):
    page = client.get(hosted_url("/account", oidc_alice)).content.decode()
    assert "then=account" in page
    started = client.get(hosted_url("/signin/oidc/start", oidc_alice) + "&then=account")
    response = client.get(relative(provider_sign_in(started.headers["Location"], "olivia@example.com")))
    assert response.status_code == 303
    assert response.headers["Location"] == hosted_url("/account", oidc_alice)
    assert b"Signed in as <strong>olivia@example.com</strong>" in client.get(response.headers["Location"]).content
