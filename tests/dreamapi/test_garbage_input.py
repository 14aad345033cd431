"""Garbage in, never a 500 out (issue 8 item 7, issue 15 item 4).

Every URL pattern under /api/ is found in the URL resolver (so an endpoint added later is
walked too, with no change here) and called, for each method its view allows, with a secret
key and with a publishable key, with the inputs that used to be 500s: a NUL or a lone
surrogate in the path, the query string or a header; ``1e999``, ``NaN``, 50,000 ``[``, NUL
keys and values in JSON bodies; oversized ids and values. Query parameters, headers and body
fields are taken from the OpenAPI schema when it describes the endpoint. Every answer must
be below 500 and JSON (errors in our error shape). HTML pages (the JWKS URL, the dashboard…)
get the path and query garbage too and must answer a 4xx page, never a 500.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

from signup.tokens import end_user_token_issue

pytestmark = pytest.mark.django_db

SURROGATE = "%ED%A0%80"  # "\ud800" as UTF-8 bytes: what a client sending a lone surrogate puts on the wire
# The same bytes as a WSGI server hands a header value to Django (latin-1).
SURROGATE_HEADER = b"\xed\xa0\x80".decode("latin-1")
DOC_VIEWS = {"api-schema", "api-docs", "api-redoc"}  # may answer 2xx in YAML/HTML
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BODY_METHODS = {"POST", "PUT", "PATCH"}
# Headers every end-user endpoint reads, whether or not the schema lists them.
KNOWN_HEADERS = ["X-User-Id", "X-User-Token", "X-Clerk-Token", "X-Env", "X-User-Plan", "Idempotency-Key",
                 "X-Publishable-Key", "Origin"]


@dataclass
class Route:
    route: str  # "api/customers/<str:customer_id>"
    pattern: URLPattern
    params: list[tuple[str, str]] = field(default_factory=list)  # (converter, name)

    @property
    def name(self) -> str | None:
        return self.pattern.name

    @property
    def schema_path(self) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.route)

    def url(self, value: str | None = None) -> str:
        """The route with each parameter set to ``value`` (or a valid-looking default per converter)."""
        def fill(match: re.Match) -> str:
            converter = match.group(1) or "str"
            if value is not None:
                return value
            return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000000"}.get(converter, "x")

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.route)

    def methods(self) -> list[str]:
        view = getattr(self.pattern.callback, "cls", None) or getattr(self.pattern.callback, "view_class", None)
        if view is None:  # a function view: try everything
            return ALL_METHODS
        names = getattr(self.pattern.callback, "view_initkwargs", {}).get("http_method_names", view.http_method_names)
        return [m.upper() for m in names if m != "head" and hasattr(view, m)]


def _walk(patterns, prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry.pattern, RoutePattern):
            route = prefix + str(entry.pattern)
            yield Route(route, entry, re.findall(r"<(?:(\w+):)?(\w+)>", route))
        else:
            # A regex pattern: under /api/ it could not be walked, so it fails loudly below.
            yield Route(prefix + "<regex>" + str(entry.pattern), entry)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def api_routes() -> list[Route]:
    return [r for r in all_routes() if r.route.startswith("api/")]


def page_routes() -> list[Route]:
    """Every non-API page that takes a parameter or is reachable by a plain path (admin's regexes skipped)."""
    return [r for r in all_routes()
            if not r.route.startswith(("api/", "admin/")) and "<regex>" not in r.route]


@pytest.fixture
def setting(alice):
    """What a well-formed call would carry: a real end user, named by id (secret key) or token (publishable key)."""
    end_user = alice.end_user(email="garbage@example.com", email_verified=True)
    token = end_user_token_issue(end_user=end_user).token
    return {
        "sk": (alice.sk, {"HTTP_X_USER_ID": end_user.public_id}),
        "pk": (alice.pk, {"HTTP_X_USER_TOKEN": token}),
        "end_user_id": end_user.public_id,
        "schema": _schema(),
    }


@functools.cache
def _schema() -> dict:
    """The OpenAPI schema as served (it depends on no data, so it is fetched once)."""
    return APIClient().get("/api/schema/?format=json").json()


def _operation(schema: dict, route: Route, method: str) -> dict:
    return schema.get("paths", {}).get(route.schema_path, {}).get(method.lower(), {})


def _names(operation: dict, where: str) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == where]


def _body_fields(schema: dict, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    body = next(iter(content.values()), {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref:
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return list(body.get("properties", {}))


def _meta(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


def _cases(route: Route, method: str, setting: dict, key_kind: str) -> Iterator[tuple[str, str, dict, bytes | None]]:
    """(description, url, extra headers, raw body) for one endpoint, method and key."""
    operation = _operation(setting["schema"], route, method)
    good_url = route.url(setting["end_user_id"] if route.params else None)
    base_headers = setting[key_kind][1]

    if route.params:
        for value in ("usr_%00x", SURROGATE, "usr_" + SURROGATE, "usr_" + "x" * 1000, "usr_" + "x" * 5000,
                      "%0a", "9" * 40):
            yield f"path param {value[:30]!r}", route.url(value), base_headers, None

    queries = _names(operation, "query") or ["search", "limit", "page"]
    for value in ("%00", "a%00b", SURROGATE, "1e999", "NaN", "-1", "9" * 400, "%0d%0a"):
        yield f"query {value[:30]!r}", f"{good_url}?" + "&".join(f"{q}={value}" for q in queries), base_headers, None
    yield "query too long", f"{good_url}?search={'a' * 5000}", base_headers, None
    yield "query with 2,000 fields", f"{good_url}?" + "&".join(["a"] * 2000), base_headers, None

    # A NUL or an oversized value is refused before any header is read: one header shows it.
    for value in ("usr_\x00x", "x" * 9000):
        yield f"header X-User-Id {value[:12]!r}", good_url, {**base_headers, "HTTP_X_USER_ID": value}, None
    for header in dict.fromkeys(_names(operation, "header") + KNOWN_HEADERS):
        for value in (SURROGATE_HEADER, "x" * 300, "-1"):
            yield f"header {header} {value[:12]!r}", good_url, {**base_headers, _meta(header): value}, None

    if method in BODY_METHODS:
        raw_bodies = {
            "1e999": '{"email": "a@example.com", "x": 1e999}',
            "NaN": '{"email": "a@example.com", "x": NaN}',
            "lone surrogate": '{"email": "a@example.com", "x": "\\ud800"}',
            "50,000 [": "[" * 50_000,
            "metadata NUL": '{"email": "a@example.com", "metadata": {"\\u0000": "\\u0000"}}',
            "metadata surrogate": '{"email": "a@example.com", "metadata": {"k": ["\\udc00"]}}',
            "key NUL": '{"\\u0000": 1}',
            "not utf-8": b'{"email": "\xff"}',
            "array": "[]",
            "string": '"x"',
            "broken": '{"email": ',
        }
        fields = _body_fields(setting["schema"], operation) or ["email", "metadata"]
        for label, value in (("too long", "x" * 10_000), ("huge int", 10**30), ("negative", -1),
                             ("huge float", 1e300), ("deep", json.loads("[" * 30 + "]" * 30)), ("object", {}),
                             ("null", None), ("bool", True)):
            raw_bodies[f"every field {label}"] = json.dumps({name: value for name in fields})
        for label, body in raw_bodies.items():
            yield f"body {label}", good_url, base_headers, body if isinstance(body, bytes) else body.encode()


def _problem(response, route: Route, status_only: bool = False) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}: {response.content[:200]!r}"
    if status_only:
        return None
    content_type = response.get("Content-Type", "")
    if response.status_code == 204 and not response.content:
        return None
    if not content_type.startswith("application/json"):
        if route.name in DOC_VIEWS and response.status_code < 400:
            return None
        return f"{response.status_code} {content_type}: {response.content[:120]!r}"
    body = json.loads(response.content)
    if response.status_code >= 400 and not (isinstance(body, dict) and {"error", "message", "code"} <= body.keys()):
        return f"{response.status_code} not our error shape: {body!r:.200}"
    return None


@pytest.mark.parametrize("route", api_routes(), ids=lambda r: r.route)
def test_no_api_endpoint_answers_garbage_with_a_500_or_html(route, setting):
    assert "<regex>" not in route.route, "an /api/ regex pattern: walk it here"
    problems = []
    for key_kind in ("sk", "pk"):
        key = setting[key_kind][0]
        for method in route.methods():
            for what, url, headers, body in _cases(route, method, setting, key_kind):
                client = APIClient()
                client.raise_request_exception = False
                response = client.generic(method, url, data=body or b"", content_type="application/json",
                                          HTTP_AUTHORIZATION=f"Bearer {key}", **headers)
                problem = _problem(response, route)
                if problem:
                    problems.append(f"{key_kind} {method} {url[:80]} [{what}] -> {problem}")
    assert problems == [], "\n".join(problems[:40])


def test_the_walk_covers_the_customer_api():
    """Guards the discovery itself: if the walk found nothing, the test above would pass vacuously."""
    routes = {r.route: r for r in api_routes()}
    assert {"api/customers", "api/customers/<str:customer_id>", "api/data", "api/usage", "api/auth/exchange"} <= set(routes)
    assert {"GET", "PATCH", "DELETE"} <= set(routes["api/customers/<str:customer_id>"].methods())
    assert routes["api/docs/"].methods() == ["GET"]  # as_view(http_method_names=…) is honoured


@pytest.mark.parametrize("url, code", [
    ("/api/customers/usr_%00x", "invalid_path"),
    ("/api/customers?search=%00", "invalid_query"),
    ("/api/customers?search=" + "a" * 5000, "uri_too_long"),
])
def test_the_edge_refuses_what_no_view_can_store_in_our_json_shape(alice, url, code):
    response = alice.api().get(url)
    assert response.status_code == {"uri_too_long": 414}.get(code, 400)
    assert response.json()["code"] == code


def test_an_oversized_header_is_a_json_431(alice):
    response = alice.api().get("/api/customers", HTTP_X_USER_ID="x" * 9000)
    assert response.status_code == 431
    assert response.json()["code"] == "header_too_large"
    assert "X-User-Id" in response.json()["message"]
    assert alice.api().get("/api/customers", HTTP_X_USER_ID="x" * 8000).status_code == 200


def test_a_nul_in_a_header_is_a_json_400(alice):
    response = alice.api().post("/api/data", HTTP_X_USER_ID="usr_\x00x")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_header"


@pytest.mark.parametrize("route", page_routes(), ids=lambda r: r.route or "/")
def test_no_page_answers_garbage_with_a_500(route, alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice.user)
    problems = []
    urls = [route.url(value) for value in ("%00", "x%00y", SURROGATE, "x" * 1000, "x" * 5000)] if route.params else []
    urls.append(route.url() + "?next=%00&pk=%00")
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            problem = _problem(response, route, status_only=True)
            if problem:
                problems.append(f"{method} {url[:80]} -> {problem}")
    response = client.post(route.url(), "name=%00", content_type="application/x-www-form-urlencoded")
    if response.status_code >= 500:
        problems.append(f"form body with %00 -> {response.status_code}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("url", ["/.well-known/jwks/%00.json", "/dashboard/projects/%00/", "/signup?pk=%00"])
def test_a_nul_in_a_page_url_is_a_plain_400_page(alice, url):
    client = Client()
    client.force_login(alice.user)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"NUL" in response.content


def test_a_request_with_no_headers_at_all_passes_the_guard():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dreamapi.middleware import RequestGuardMiddleware

    request = RequestFactory().get("/api/tiers")
    for key in [k for k in request.META if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")]:
        del request.META[key]
    assert RequestGuardMiddleware(lambda r: HttpResponse("passed"))(request).content == b"passed"
