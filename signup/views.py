"""Hosted end-user pages and the per-project JWKS. (The developer's page for them is
``dashboard.views.signup``.)

Every hosted page starts from ``?pk=…&redirect=…`` (plus ``code_challenge`` and
``code_challenge_method=S256`` for a browser-only app), or from an e-mailed link that names
the sign-up or the end user, checks them, and renders an error page (400), never a redirect,
when one is wrong. Forms post back to the same URL, so the query string travels with them.

Signing in through any of these pages also starts a hosted session (signup.sessions), which
/account and /refresh rely on.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
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
from .forms import (
    AccountProfileForm,
    DeleteAccountForm,
    EmailForm,
    PasswordChangeForm,
    SetPasswordForm,
    SignInForm,
    SignUpForm,
)
from .models import SignInCode
from .oidc import PendingAuthorization
from .selectors import (
    AppReturn,
    HostedContext,
    HostedPageError,
    hosted_context_get,
    hosted_return_check,
)
from .sessions import browser_key, browser_key_save, hosted_session_end, hosted_session_end_user, hosted_session_start

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
        browser_key_save(request, response)
        return response

    return never_cache(wrapper)


def _page_context(hosted: HostedContext, back: AppReturn) -> dict:
    return {"hosted": hosted, "redirect_uri": back.redirect_uri, "back": back,
            "query": back.query(publishable_key=hosted.publishable_key)}


def _hosted_from_query(request: HttpRequest) -> tuple[HostedContext, AppReturn]:
    hosted = hosted_context_get(publishable_key=request.GET.get("pk", ""))
    # Brand the error page from here on, even if the redirect turns out to be bad.
    request.signup_context = {"hosted": hosted}
    back = hosted_return_check(hosted=hosted, redirect_uri=request.GET.get("redirect", ""),
                               code_challenge=request.GET.get("code_challenge", ""),
                               code_challenge_method=request.GET.get("code_challenge_method", ""))
    request.signup_context = _page_context(hosted, back)
    return hosted, back


def _check_email_page(request: HttpRequest, context: dict, email: str, *, reason: str) -> HttpResponse:
    return render(request, "signup/check_email.html", {**context, "email": email, "reason": reason})


def _to_account(context: dict, end_user) -> HttpResponse:
    """Signed in on the hosted pages, on to /account (no code: the app is not involved yet)."""
    response = _see_other(f"{reverse('signup:account')}?{context['query']}")
    hosted_session_start(response, end_user=end_user)
    return response


def _signed_in_response(signed: services.SignedIn) -> HttpResponse:
    """Back to the app with the code, signed in on the hosted pages from now on."""
    response = _see_other(signed.redirect_url)
    hosted_session_start(response, end_user=signed.end_user)
    return response


# --- sign-up and e-mail verification ------------------------------------------------------


@hosted_page
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    hosted, back = _hosted_from_query(request)
    context = request.signup_context
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.end_user_sign_up(hosted=hosted, email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                                  back=back, browser_key=browser_key(request), client_ip=client_ip(request))
        # The same page whether the address was new or already registered: the e-mail tells which.
        return _check_email_page(request, context, form.cleaned_data["email"], reason="signup")
    return render(request, "signup/signup.html", {**context, "form": form}, status=400 if form.errors else 200)


@hosted_page
@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    hosted, back = _hosted_from_query(request)
    form = EmailForm(request.POST)
    if not form.is_valid():
        return _see_other(f"{reverse('signup:signup')}?{request.signup_context['query']}")
    services.email_verification_resend(hosted=hosted, email=form.cleaned_data["email"], back=back,
                                       browser_key=browser_key(request), client_ip=client_ip(request))
    return _check_email_page(request, request.signup_context, form.cleaned_data["email"], reason="resend")


@hosted_page
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """GET shows a button; POST confirms and signs in. Mail scanners that fetch links (GET)
    must not use up the single-use link before the person clicks it. Opened in a browser
    other than the one that signed up, the page asks for a password (see PendingSignup)."""
    token = request.GET.get("t", "")
    link = services.pending_signup_check(token=token, browser_key=browser_key(request))
    context = _page_context(link.hosted, link.back)
    request.signup_context = context
    if link.state == "expired":
        return render(request, "signup/link_expired.html", {**context, "email": link.pending.email}, status=400)
    if link.state == "replaced":
        raise HostedPageError("This link has been replaced by a newer one; use the most recent e-mail.",
                              code="invalid_link")
    if link.state == "confirmed":
        return render(request, "signup/already_verified.html", context)
    form = None
    if link.needs_password:
        form = SetPasswordForm(request.POST if request.method == "POST" else None, email=link.pending.email,
                               label="Choose a password")
    if request.method == "POST" and (form is None or form.is_valid()):
        signed = services.pending_signup_confirm(
            token=token, browser_key=browser_key(request),
            new_password=form.cleaned_data["password"] if form is not None else None, client_ip=client_ip(request))
        if signed is None:
            return render(request, "signup/already_verified.html", context)
        return _signed_in_response(signed)
    return render(request, "signup/verify.html", {**context, "email": link.pending.email, "form": form},
                  status=400 if form is not None and form.errors else 200)


# --- sign-in ----------------------------------------------------------------------------------


def _sign_in_form(request: HttpRequest, hosted: HostedContext, back: AppReturn, *, then: str = "") -> HttpResponse:
    """The sign-in form and its answer. ``then`` is where a successful sign-in goes: back to
    the app with a code (""), or on to /account ("account") for the pages that need a session."""
    context = request.signup_context
    posted = request.method == "POST" and (not then or request.POST.get("action") == "signin")
    form = SignInForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            end_user = services.end_user_sign_in(hosted=hosted, email=form.cleaned_data["email"],
                                                 password=form.cleaned_data["password"], back=back,
                                                 browser_key=browser_key(request), client_ip=client_ip(request))
        except services.InvalidCredentials as exc:
            form.add_error(None, exc.message)
        else:
            if end_user is None:  # right password, e-mail not confirmed: a link was sent
                return _check_email_page(request, context, form.cleaned_data["email"], reason="unverified")
            if then == "account":
                return _to_account(context, end_user)
            return _signed_in_response(services.signed_in(end_user=end_user, back=back,
                                                          method=SignInCode.Method.PASSWORD))
    oidc_query = context["query"] + ("&then=account" if then == "account" else "")
    return render(request, "signup/signin.html", {**context, "form": form, "then": then, "oidc_query": oidc_query},
                  status=400 if form.errors else 200)


@hosted_page
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    hosted, back = _hosted_from_query(request)
    return _sign_in_form(request, hosted, back)


@hosted_page
@require_http_methods(["GET", "POST"])
def forgot(request: HttpRequest) -> HttpResponse:
    hosted, back = _hosted_from_query(request)
    context = request.signup_context
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(hosted=hosted, email=form.cleaned_data["email"], back=back,
                                        client_ip=client_ip(request))
        return _check_email_page(request, context, form.cleaned_data["email"], reason="reset")
    return render(request, "signup/forgot.html", {**context, "form": form}, status=400 if form.errors else 200)


@hosted_page
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    value = request.GET.get("t", "")
    target = services.password_reset_check(value=value)
    context = _page_context(target.hosted, target.back)
    request.signup_context = context
    form = SetPasswordForm(request.POST or None, email=target.end_user.email)
    if request.method == "POST" and form.is_valid():
        return _signed_in_response(services.password_reset_confirm(value=value, password=form.cleaned_data["password"],
                                                                   client_ip=client_ip(request)))
    return render(request, "signup/reset.html", {**context, "form": form, "email": target.end_user.email,
                                                 "has_password": target.end_user.has_usable_password},
                  status=400 if form.errors else 200)


# --- /account and /refresh: pages for the signed-in end user -------------------------------------


@hosted_page
@require_http_methods(["GET", "POST"])
def refresh(request: HttpRequest) -> HttpResponse:
    """Back to the app at once with a fresh code (so its token carries the current plan, e.g.
    after a checkout); without a hosted session, the sign-in form first."""
    hosted, back = _hosted_from_query(request)
    end_user = hosted_session_end_user(request, hosted=hosted)
    if end_user is None:
        return _sign_in_form(request, hosted, back, then="refresh")
    return _see_other(services.session_sign_in(end_user=end_user, back=back, client_ip=client_ip(request)).redirect_url)


def _account_page(request: HttpRequest, end_user, *, profile_form=None, password_form=None, delete_form=None,
                  status: int = 200) -> HttpResponse:
    return render(request, "signup/account.html", {
        **request.signup_context,
        "end_user": end_user,
        "profile_form": profile_form or AccountProfileForm(initial={"first_name": end_user.first_name,
                                                                    "last_name": end_user.last_name}),
        "password_form": password_form or PasswordChangeForm(email=end_user.email),
        "delete_form": delete_form or DeleteAccountForm(),
        "delete_word": services.DELETE_CONFIRMATION,
    }, status=status)


@hosted_page
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in end user's account: name, password, sign out everywhere, delete.
    Every action is a POST with ``action`` and Django's CSRF token."""
    hosted, back = _hosted_from_query(request)
    context = request.signup_context
    end_user = hosted_session_end_user(request, hosted=hosted)
    if end_user is None:
        return _sign_in_form(request, hosted, back, then="account")
    here = f"{reverse('signup:account')}?{context['query']}"
    action = request.POST.get("action") if request.method == "POST" else None
    ip = client_ip(request)
    if action == "return":
        return _see_other(services.session_sign_in(end_user=end_user, back=back, client_ip=ip).redirect_url)
    if action == "profile":
        form = AccountProfileForm(request.POST)
        if not form.is_valid():
            return _account_page(request, end_user, profile_form=form, status=400)
        services.account_profile_update(end_user=end_user, first_name=form.cleaned_data["first_name"],
                                        last_name=form.cleaned_data["last_name"], client_ip=ip)
        messages.success(request, "Your name has been saved.")
        return _see_other(here)
    if action == "password":
        form = PasswordChangeForm(request.POST, email=end_user.email)
        if form.is_valid():
            try:
                services.account_password_change(end_user=end_user, current_password=form.cleaned_data["current_password"],
                                                 new_password=form.cleaned_data["new_password"], client_ip=ip)
            except ApiError as exc:
                if exc.code != "invalid_credentials":
                    raise
                form.add_error("current_password", exc.message)
            else:
                messages.success(request, "Your password has been changed. You were signed out on every other device.")
                response = _see_other(here)
                end_user.refresh_from_db()
                hosted_session_start(response, end_user=end_user)  # this browser stays signed in
                return response
        return _account_page(request, end_user, password_form=form, status=400)
    if action == "signout":
        services.account_sign_out_everywhere(end_user=end_user, client_ip=ip)
        response = render(request, "signup/account_done.html", {**context, "done": "signed_out"})
        hosted_session_end(response, hosted=hosted)
        return response
    if action == "delete":
        form = DeleteAccountForm(request.POST)
        if form.is_valid():
            try:
                services.account_delete(end_user=end_user, confirmation=form.cleaned_data["confirmation"], client_ip=ip)
            except ApiError as exc:
                if exc.code != "confirmation_required":
                    raise
                form.add_error("confirmation", exc.message)
            else:
                response = render(request, "signup/account_done.html", {**context, "done": "deleted"})
                hosted_session_end(response, hosted=hosted)
                return response
        return _account_page(request, end_user, delete_form=form, status=400)
    if action is not None:
        raise HostedPageError("Unknown action.", code="invalid_request")
    return _account_page(request, end_user)


# --- OpenID Connect -----------------------------------------------------------------------------


def oidc_callback_url() -> str:
    """The one redirect URI to register at every provider (the flow's project is in the session)."""
    return f"{settings.SITE_URL}{reverse('signup:oidc_callback')}"


@hosted_page
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    hosted, back = _hosted_from_query(request)
    url, pending = services.oidc_sign_in_start(hosted=hosted, callback_url=oidc_callback_url(),
                                               client_ip=client_ip(request))
    flows = {
        state: flow for state, flow in request.session.get(OIDC_SESSION_KEY, {}).items()
        if flow["created"] > time.time() - OIDC_PENDING_MAX_AGE
    }
    flows[pending.state] = {
        "pk": hosted.publishable_key, "redirect": back.redirect_uri, "challenge": back.code_challenge,
        "then": "account" if request.GET.get("then") == "account" else "",
        "nonce": pending.nonce, "verifier": pending.code_verifier, "created": time.time(),
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
    challenge = flow.get("challenge", "")
    back = hosted_return_check(hosted=hosted, redirect_uri=flow["redirect"], code_challenge=challenge,
                               code_challenge_method="S256" if challenge else "")
    context = _page_context(hosted, back)
    request.signup_context = context
    if request.GET.get("error") or not request.GET.get("code"):
        return render(request, "signup/oidc_cancelled.html", context, status=400)
    end_user = services.oidc_sign_in_finish(
        hosted=hosted,
        pending=PendingAuthorization(state=state, nonce=flow["nonce"], code_verifier=flow["verifier"]),
        code=request.GET["code"],
        callback_url=oidc_callback_url(),
        client_ip=client_ip(request),
    )
    if flow.get("then") == "account":
        return _to_account(context, end_user)
    return _signed_in_response(services.signed_in(end_user=end_user, back=back, method=SignInCode.Method.OIDC))


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
