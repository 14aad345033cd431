"""Hosted end-user pages and the per-project JWKS. (The developer's page for them is
``dashboard.views.signup``.)

Every hosted page starts from ``?pk=…&redirect=…`` (or from a signed link that names the
end user), checks both, and renders an error page (400), never a redirect, when either is
wrong. Forms post back to the same URL, so the query string travels with them.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dreamapi.clientip import client_ip
from dreamapi.errors import ApiError, error_body
from dreamapi.ratelimit import RateLimited
from tenants.models import Project

from . import services, tokens
from .forms import EmailForm, SetPasswordForm, SignInForm, SignUpForm
from .oidc import PendingAuthorization
from .selectors import (
    HostedContext,
    HostedPageError,
    hosted_context_get,
    hosted_redirect_check,
)

OIDC_SESSION_KEY = "signup_oidc"
OIDC_PENDING_MAX_AGE = 10 * 60
OIDC_PENDING_MAX = 5  # concurrent flows kept per browser session (several tabs)


def _see_other(url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(url, status=303)


def hosted_page(view):
    """Render ``ApiError`` (``HostedPageError`` and the like) as the error page, and
    ``RateLimited`` as the friendly 429 page: a hosted page never answers with JSON or a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except RateLimited as exc:
            response = render(request, "signup/rate_limited.html",
                              {"retry_after": exc.retry_after, "minutes": max(1, round(exc.retry_after / 60)),
                               **getattr(request, "signup_context", {})},
                              status=429)
            response["Retry-After"] = str(exc.retry_after)
        except ApiError as exc:  # HostedPageError, or a service's refusal (e.g. no default tier)
            response = render(request, "signup/error.html",
                              {"message": exc.message, "code": exc.code, **getattr(request, "signup_context", {})},
                              status=exc.status_code)
        return response

    return never_cache(wrapper)


def _hosted_from_query(request: HttpRequest) -> tuple[HostedContext, str]:
    hosted = hosted_context_get(publishable_key=request.GET.get("pk", ""))
    # Brand the error page from here on, even if the redirect turns out to be bad.
    request.signup_context = {"hosted": hosted}
    redirect_uri = hosted_redirect_check(hosted=hosted, redirect_uri=request.GET.get("redirect", ""))
    request.signup_context = _page_context(hosted, redirect_uri)
    return hosted, redirect_uri


def _page_context(hosted: HostedContext, redirect_uri: str) -> dict:
    query = urlencode({"pk": hosted.publishable_key, "redirect": redirect_uri})
    return {"hosted": hosted, "redirect_uri": redirect_uri, "query": query}


def _check_email_page(request: HttpRequest, context: dict, email: str, *, reason: str) -> HttpResponse:
    return render(request, "signup/check_email.html", {**context, "email": email, "reason": reason})


# --- sign-up and e-mail verification ------------------------------------------------------


@hosted_page
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    hosted, redirect_uri = _hosted_from_query(request)
    context = request.signup_context
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.end_user_sign_up(hosted=hosted, email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                                  redirect_uri=redirect_uri, client_ip=client_ip(request))
        # The same page whether the address was new or already registered: the e-mail tells which.
        return _check_email_page(request, context, form.cleaned_data["email"], reason="signup")
    return render(request, "signup/signup.html", {**context, "form": form}, status=400 if form.errors else 200)


@hosted_page
@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    hosted, redirect_uri = _hosted_from_query(request)
    form = EmailForm(request.POST)
    if not form.is_valid():
        return _see_other(f"{reverse('signup:signup')}?{request.signup_context['query']}")
    services.email_verification_resend(hosted=hosted, email=form.cleaned_data["email"], redirect_uri=redirect_uri,
                                       client_ip=client_ip(request))
    return _check_email_page(request, request.signup_context, form.cleaned_data["email"], reason="resend")


@hosted_page
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """GET shows a button; POST verifies and signs in. Mail scanners that fetch links (GET)
    must not use up the single-use link before the person clicks it."""
    value = request.GET.get("t", "")
    try:
        target = services.email_verification_check(value=value)
    except HostedPageError as exc:
        if exc.code != "link_expired":
            raise
        expired = services.email_verification_expired_target(value=value)
        context = _page_context(expired[0], expired[2]) if expired else {}
        request.signup_context = context
        return render(request, "signup/link_expired.html", {**context, "email": expired[1] if expired else ""},
                      status=400)
    context = _page_context(target.hosted, target.redirect_uri)
    request.signup_context = context
    if target.end_user.email_verified:
        return render(request, "signup/already_verified.html", context)
    if request.method == "POST":
        redirect_url = services.email_verification_confirm(value=value, client_ip=client_ip(request))
        if redirect_url is None:
            return render(request, "signup/already_verified.html", context)
        return _see_other(redirect_url)
    return render(request, "signup/verify.html", {**context, "email": target.end_user.email})


# --- sign-in ----------------------------------------------------------------------------------


@hosted_page
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    hosted, redirect_uri = _hosted_from_query(request)
    context = request.signup_context
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.end_user_sign_in(hosted=hosted, email=form.cleaned_data["email"],
                                               password=form.cleaned_data["password"], redirect_uri=redirect_uri,
                                               client_ip=client_ip(request))
        except services.InvalidCredentials as exc:
            form.add_error(None, exc.message)
        else:
            if result.redirect_url is None:  # right password, e-mail not confirmed: a new link was sent
                return _check_email_page(request, context, form.cleaned_data["email"], reason="unverified")
            return _see_other(result.redirect_url)
    return render(request, "signup/signin.html", {**context, "form": form}, status=400 if form.errors else 200)


@hosted_page
@require_http_methods(["GET", "POST"])
def forgot(request: HttpRequest) -> HttpResponse:
    hosted, redirect_uri = _hosted_from_query(request)
    context = request.signup_context
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(hosted=hosted, email=form.cleaned_data["email"], redirect_uri=redirect_uri,
                                        client_ip=client_ip(request))
        return _check_email_page(request, context, form.cleaned_data["email"], reason="reset")
    return render(request, "signup/forgot.html", {**context, "form": form}, status=400 if form.errors else 200)


@hosted_page
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    value = request.GET.get("t", "")
    target = services.password_reset_check(value=value)
    context = _page_context(target.hosted, target.redirect_uri)
    request.signup_context = context
    form = SetPasswordForm(request.POST or None, email=target.end_user.email)
    if request.method == "POST" and form.is_valid():
        redirect_url = services.password_reset_confirm(value=value, password=form.cleaned_data["password"],
                                                       client_ip=client_ip(request))
        return _see_other(redirect_url)
    return render(request, "signup/reset.html", {**context, "form": form, "email": target.end_user.email},
                  status=400 if form.errors else 200)


# --- OpenID Connect -----------------------------------------------------------------------------


def oidc_callback_url() -> str:
    """The one redirect URI to register at every provider (the flow's project is in the session)."""
    return f"{settings.SITE_URL}{reverse('signup:oidc_callback')}"


@hosted_page
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    hosted, redirect_uri = _hosted_from_query(request)
    url, pending = services.oidc_sign_in_start(hosted=hosted, callback_url=oidc_callback_url(),
                                               client_ip=client_ip(request))
    flows = {
        state: flow for state, flow in request.session.get(OIDC_SESSION_KEY, {}).items()
        if flow["created"] > time.time() - OIDC_PENDING_MAX_AGE
    }
    flows[pending.state] = {
        "pk": hosted.publishable_key, "redirect": redirect_uri, "nonce": pending.nonce,
        "verifier": pending.code_verifier, "created": time.time(),
    }
    request.session[OIDC_SESSION_KEY] = dict(sorted(flows.items(), key=lambda kv: kv[1]["created"])[-OIDC_PENDING_MAX:])
    return _see_other(url)


@hosted_page
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    flows = request.session.get(OIDC_SESSION_KEY, {})
    state = request.GET.get("state", "")
    flow = flows.pop(state, None)
    request.session[OIDC_SESSION_KEY] = flows
    if flow is None or flow["created"] < time.time() - OIDC_PENDING_MAX_AGE:
        raise HostedPageError("This sign-in attempt has expired or was started in another browser. Please start again.",
                              code="oidc_state_mismatch")
    hosted = hosted_context_get(publishable_key=flow["pk"])
    redirect_uri = hosted_redirect_check(hosted=hosted, redirect_uri=flow["redirect"])
    context = _page_context(hosted, redirect_uri)
    request.signup_context = context
    if request.GET.get("error") or not request.GET.get("code"):
        return render(request, "signup/oidc_cancelled.html", context, status=400)
    redirect_url = services.oidc_sign_in_finish(
        hosted=hosted,
        pending=PendingAuthorization(state=state, nonce=flow["nonce"], code_verifier=flow["verifier"]),
        code=request.GET["code"],
        callback_url=oidc_callback_url(),
        redirect_uri=redirect_uri,
        client_ip=client_ip(request),
    )
    return _see_other(redirect_url)


# --- JWKS ------------------------------------------------------------------------------------------


@require_GET
def jwks(request: HttpRequest, project_id: str) -> JsonResponse:
    project_pk = Project.objects.filter(public_id=project_id).values_list("id", flat=True).first()
    if project_pk is None:
        return JsonResponse(error_body("Not found", f"No project {project_id}.", "not_found"), status=404)
    response = JsonResponse(tokens.jwks_for_project(project_id=project_pk))
    # Public keys: any origin may read them, and caches may keep them for a while. A token
    # with a kid not in a cached copy makes JWKS clients refetch, so rotation needs no purge.
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
