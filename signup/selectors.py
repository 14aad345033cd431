"""Reads for the hosted pages and the dashboard page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from dreamapi.errors import ApiError
from tenants.authentication import resolve_key
from tenants.models import ApiKey, EndUser, Mode, Project

from . import pkce
from .models import DEFAULT_ACCENT_COLOR, SignupSettings
from .redirects import InvalidRedirect, redirect_check


class HostedPageError(ApiError):
    """A hosted page cannot be shown: bad key, bad redirect, expired link. Rendered as a 400 page."""


@dataclass(frozen=True)
class HostedContext:
    """Who a hosted page is for: the project and mode of a publishable key, and its branding."""

    project: Project
    mode: str
    publishable_key: str
    settings: SignupSettings

    @property
    def display_name(self) -> str:
        return self.settings.display_name or self.project.name

    @property
    def accent_color(self) -> str:
        return self.settings.accent_color or DEFAULT_ACCENT_COLOR

    @property
    def accent_text_color(self) -> str:
        """Black or white, whichever contrasts better with the accent (WCAG relative luminance)."""
        rgb = [int(self.accent_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def signup_settings_for_project(*, project: Project) -> SignupSettings:
    """The project's settings, or unsaved defaults (nothing is written until the developer saves)."""
    try:
        return project.signup_settings
    except SignupSettings.DoesNotExist:
        return SignupSettings(project=project)


def publishable_key_for(*, project_id: int, mode: str) -> str:
    return (
        ApiKey.objects.filter(project_id=project_id, mode=mode, kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True)
        .values_list("publishable_key", flat=True)
        .first()
        or ""
    )


def _context(*, project: Project, mode: str, publishable_key: str, platform_paid: bool) -> HostedContext:
    if mode == Mode.LIVE and not platform_paid:
        raise HostedPageError(
            "Live sign-up pages work only while the developer's dream-api plan is active.",
            code="live_mode_requires_paid_plan",
        )
    return HostedContext(
        project=project, mode=mode, publishable_key=publishable_key,
        settings=signup_settings_for_project(project=project),
    )


def hosted_context_get(*, publishable_key: str) -> HostedContext:
    """The context of ``?pk=…``; only an active publishable key is accepted."""
    key = resolve_key(publishable_key or "")
    if key is None or key.kind != ApiKey.Kind.PUBLISHABLE:
        raise HostedPageError(
            "This link does not carry a valid publishable key (pk_test_… or pk_live_…).", code="invalid_publishable_key"
        )
    project = Project.objects.select_related("signup_settings").get(pk=key.project_id)
    return _context(project=project, mode=key.mode, publishable_key=publishable_key, platform_paid=key.platform_paid)


def hosted_context_for(*, project_id: int, mode: str) -> HostedContext:
    """The context of a link sent by e-mail, which names the project (through an end user or
    a pending sign-up) rather than the key."""
    project = Project.objects.select_related("platform", "signup_settings").get(pk=project_id)
    return _context(
        project=project,
        mode=mode,
        publishable_key=publishable_key_for(project_id=project.id, mode=mode),
        platform_paid=project.platform.paid_plan_active,
    )


def hosted_context_for_end_user(*, end_user: EndUser) -> HostedContext:
    return hosted_context_for(project_id=end_user.project_id, mode=end_user.mode)


@dataclass(frozen=True)
class AppReturn:
    """Where a hosted flow sends the browser back: the app's redirect URL and, for a
    browser-only app, the PKCE challenge the code issued there is bound to."""

    redirect_uri: str
    code_challenge: str = ""

    def query(self, *, publishable_key: str) -> str:
        """The hosted pages' query string for this return (``pk``, ``redirect``, PKCE)."""
        params = {"pk": publishable_key, "redirect": self.redirect_uri}
        if self.code_challenge:
            params.update(code_challenge=self.code_challenge, code_challenge_method=pkce.METHOD)
        return urlencode(params)


def hosted_redirect_check(*, hosted: HostedContext, redirect_uri: str) -> str:
    try:
        return redirect_check(url=redirect_uri, allowed_origins=hosted.settings.redirect_origins)
    except InvalidRedirect as exc:
        raise HostedPageError(str(exc), code="invalid_redirect") from exc


def hosted_return_check(*, hosted: HostedContext, redirect_uri: str, code_challenge: str = "",
                        code_challenge_method: str = "") -> AppReturn:
    """The checked redirect and PKCE challenge of a hosted page, or ``HostedPageError``."""
    redirect_uri = hosted_redirect_check(hosted=hosted, redirect_uri=redirect_uri)
    try:
        challenge = pkce.challenge_check(challenge=code_challenge, method=code_challenge_method)
    except pkce.InvalidChallenge as exc:
        raise HostedPageError(str(exc), code="invalid_code_challenge") from exc
    return AppReturn(redirect_uri=redirect_uri, code_challenge=challenge)
