"""Saving an OpenID issuer makes our server fetch URLs a developer chose: none of them may
reach our own network, follow a redirect inward, or show what an internal service answered."""

import json

import pytest

from signup.models import SignupSettings
from tests.dreamapi.test_safehttp import SECRET, _redirect_to, serving

pytestmark = pytest.mark.django_db

LEAKS = ["internal-service-data", "Traceback", "ConnectionError", "JSONDecodeError", "NewConnectionError",
         "MaxRetryError", "urllib3", "requests.", "Errno"]


def url(tenant) -> str:
    return f"/dashboard/projects/{tenant.project.public_id}/signup/"


def save_issuer(client, tenant, issuer: str):
    client.force_login(tenant.user)
    return client.post(url(tenant), {
        "display_name": "", "logo_url": "", "accent_color": "#3b5bdb", "redirect_origins": "",
        "oidc_issuer": issuer, "oidc_client_id": "x", "oidc_client_secret": "y", "oidc_button_label": "",
    })


def assert_refused_without_leaks(response, *also_hidden: str):
    assert response.status_code == 400
    html = response.content.decode()
    assert "not a usable OpenID Connect issuer" in html
    for leak in (*LEAKS, *also_hidden):
        assert leak not in html, leak


def _discovery(issuer_of, **endpoints):
    def respond(handler):
        base = _issuer_of(handler)
        doc = {"issuer": issuer_of(handler), "authorization_endpoint": f"{base}/auth", "token_endpoint": f"{base}/token",
               "jwks_uri": f"{base}/jwks", **endpoints}
        body = json.dumps(doc).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def _issuer_of(handler):
    return f"http://127.0.0.1:{handler.server.server_address[1]}"


def test_an_issuer_on_loopback_is_refused_unless_the_test_switch_is_on(client, alice, settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = False
    with serving(respond=_discovery(_issuer_of)) as internal:
        for issuer in (internal.url, f"http://localhost:{internal.port}"):
            response = save_issuer(client, alice, issuer)
            assert_refused_without_leaks(response)
            assert b"not on the public internet" in response.content
        assert internal.hits == []
        assert not SignupSettings.objects.filter(project=alice.project, oidc_issuer__startswith="http").exists()

        settings.SAFEHTTP_ALLOW_LOOPBACK = True
        assert save_issuer(client, alice, internal.url).status_code == 302
        assert internal.hits == ["/.well-known/openid-configuration"]


@pytest.mark.parametrize("issuer", ["http://169.254.169.254/latest", "http://10.0.0.1", "http://192.168.0.1:8080",
                                    "http://[::1]:9000", "http://[fd00:ec2::254]", "http://0.0.0.0:22"])
def test_internal_addresses_are_refused_even_with_the_switch_on(client, alice, settings, issuer):
    settings.SAFEHTTP_ALLOW_LOOPBACK = "::1" not in issuer
    assert_refused_without_leaks(save_issuer(client, alice, issuer))


def test_a_redirect_to_loopback_is_not_followed(client, alice, settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = True  # the redirecting server itself is on loopback
    with serving() as internal:
        with serving(respond=_redirect_to(internal.url + "/.well-known/openid-configuration")) as redirector:
            response = save_issuer(client, alice, redirector.url)
            assert_refused_without_leaks(response)
            assert b"redirect" in response.content
        assert internal.hits == []


def test_the_answer_of_an_internal_service_is_never_shown(client, alice, settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = True

    def error_page(handler):
        handler.send_response(500)
        handler.send_header("Content-Length", str(len(SECRET)))
        handler.end_headers()
        handler.wfile.write(SECRET)

    with serving(respond=error_page) as internal:
        assert_refused_without_leaks(save_issuer(client, alice, internal.url))
    # A JSON answer naming an issuer that is really a secret: the mismatch message does not echo it.
    with serving(respond=_discovery(lambda handler: "internal-service-data")) as internal:
        assert_refused_without_leaks(save_issuer(client, alice, internal.url))
    # Not JSON at all.
    with serving(respond=lambda h: (h.send_response(200), h.end_headers(), h.wfile.write(b"internal-service-data"))
                 ) as internal:
        assert_refused_without_leaks(save_issuer(client, alice, internal.url))


@pytest.mark.parametrize("endpoint", ["token_endpoint", "jwks_uri", "userinfo_endpoint"])
def test_endpoints_in_the_discovery_document_must_be_public_too(client, alice, settings, endpoint):
    settings.SAFEHTTP_ALLOW_LOOPBACK = True
    with serving(respond=_discovery(_issuer_of, **{endpoint: "http://169.254.169.254/latest/meta-data/"})
                 ) as issuer:
        response = save_issuer(client, alice, issuer.url)
    assert_refused_without_leaks(response)
    assert endpoint.encode() in response.content
