"""A project's hosted sign-up pages: their links, branding, redirects, OpenID Connect, signing keys."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dreamapi.errors import ApiError
from signup import services as signup_services
from signup import tokens
from signup.forms import SignupSettingsForm
from signup.selectors import publishable_key_for, signup_settings_for_project
from signup.views import oidc_callback_url
from tenants.models import Mode, Project

from ..decorators import project_page


def _hosted_urls(project: Project, example_redirect: str) -> list[dict]:
    rows = []
    for mode in Mode.values:
        pk = publishable_key_for(project_id=project.id, mode=mode)
        query = urlencode({"pk": pk, "redirect": example_redirect}) if pk else ""
        rows.append({
            "mode": mode,
            "pk": pk,
            "signup": f"{settings.SITE_URL}{reverse('signup:signup')}?{query}" if pk else "",
            "signin": f"{settings.SITE_URL}{reverse('signup:signin')}?{query}" if pk else "",
        })
    return rows


@project_page
@require_http_methods(["GET", "POST"])
def signup_settings(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    current = signup_settings_for_project(project=project)
    initial = {
        "display_name": current.display_name,
        "logo_url": current.logo_url,
        "accent_color": current.accent_color,
        "redirect_origins": "\n".join(current.redirect_origins),
        "oidc_issuer": current.oidc_issuer,
        "oidc_client_id": current.oidc_client_id,
        "oidc_button_label": current.oidc_button_label,
    }
    form = SignupSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signup_services.signup_settings_update(
                project=project,
                display_name=data["display_name"],
                logo_url=data["logo_url"],
                accent_color=data["accent_color"],
                redirect_origins=data["redirect_origins"],
                oidc_issuer=data["oidc_issuer"],
                oidc_client_id=data["oidc_client_id"],
                oidc_client_secret=form.secret_change(),
                oidc_button_label=data["oidc_button_label"],
            )
        except ApiError as exc:
            form.add_error("oidc_issuer" if exc.code == "invalid_oidc_issuer" else None, exc.message)
        else:
            messages.success(request, f"Sign-up settings of {project.name} saved.")
            return redirect("dashboard:signup_settings", project_id=project.public_id)
    origins = current.redirect_origins
    example_redirect = f"{origins[0]}/auth/callback" if origins else "https://yourapp.com/auth/callback"
    context = {
        "project": project,
        "mode": mode,
        "form": form,
        "settings_row": current,
        "urls": _hosted_urls(project, example_redirect),
        "example_redirect": example_redirect,
        "jwks_url": f"{settings.SITE_URL}{reverse('signup:jwks', args=[project.public_id])}",
        "issuer": settings.SITE_URL,
        "callback_url": oidc_callback_url(),
        "signing_keys": tokens.signing_keys_published(project_id=project.id),
        "token_ttl_minutes": tokens.TOKEN_TTL_SECONDS // 60,
    }
    return render(request, "dashboard/signup_settings.html", context, status=400 if form.errors else 200)


@project_page
@require_POST
def signup_rotate_key(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    immediate = request.POST.get("immediate") == "1"
    key = tokens.signing_key_rotate(project=project, immediate=immediate)
    if immediate:
        messages.success(request, f"New signing key {key.kid}. Tokens signed with the old keys no longer work.")
    else:
        messages.success(request, f"New signing key {key.kid}. Tokens signed with the old key keep working until they "
                                  "expire.")
    return redirect("dashboard:signup_settings", project_id=project.public_id)
