"""Writes of the hosted sign-up: accounts, e-mail verification, sign-in, password reset,
one-time sign-in codes, token refresh and revocation, and the per-project settings.

Abuse rules live here, not in the views: every entry point that an anonymous visitor can
hit is rate limited per IP and per e-mail, and no answer tells a visitor whether an e-mail
is registered (the e-mail itself does: "confirm your address" or "you already have an account").
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from dreamapi.errors import ApiError, Conflict, NotFound
from tenants.keycache import KeyContext
from tenants.models import EndUser, Project
from tenants.services import end_user_create
from dreamapi.ratelimit import RateLimited, rate_limit_hit

from . import crypto, emails, oidc
from .models import EndUserAuth, OidcIdentity, SignInCode, SignupSettings
from .redirects import redirect_with_code
from .selectors import HostedContext, HostedPageError, hosted_context_for_end_user, hosted_redirect_check
from .tokens import REFRESH_WINDOW, IssuedToken, end_user_token_claims, end_user_token_issue

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
VERIFICATION_MAX_AGE = timedelta(hours=24)
RESET_MAX_AGE = timedelta(hours=1)

# (requests, window in seconds) per rule. Per-e-mail rules also stop mail bombing: each
# sign-up, resend or reset request sends one e-mail.
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "signup:ip": (20, 600),
    "signup:email": (5, 600),
    "signin:ip": (30, 300),
    "signin:account": (10, 300),
    "resend:ip": (10, 600),
    "resend:email": (3, 600),
    "reset:ip": (10, 600),
    "reset:email": (3, 600),
    "link:ip": (30, 600),
    "oidc:ip": (30, 300),
    # Per project, mode and key kind, not per address: a tenant's backend exchanges from a few
    # addresses (or ours, behind the balancer), and one tenant's flood must not block another's.
    "exchange:key": (600, 60),
}


def _rate_limit(*, rule: str, subject: str) -> None:
    limit, window = RATE_LIMITS[rule]
    # Subjects (IPs, e-mails) are hashed: the rate-limit store never holds an e-mail in clear.
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    result = rate_limit_hit(scope=f"signup:{rule}:{digest}", limit=limit, window=window)
    if not result.allowed:
        raise RateLimited(f"Too many attempts; try again in {result.retry_after} s.", retry_after=result.retry_after)


def _account_subject(*, project_id: int, mode: str, email: str) -> str:
    return f"{project_id}:{mode}:{email.strip().lower()}"


def _find_end_user(*, project_id: int, mode: str, email: str) -> EndUser | None:
    return (
        EndUser.objects.filter(project_id=project_id, mode=mode, email__iexact=email.strip())
        .select_related("tier", "project")
        .first()
    )


def _account_fingerprint(end_user: EndUser) -> str:
    """Changes whenever the password or the e-mail does.

    E-mailed links carry it, so a link stops working once the account it was sent for has
    changed: a reset link works once (the idea of Django's PasswordResetTokenGenerator, which
    needs a full auth user model), and only the newest sign-up's verification link works.
    """
    return salted_hmac("signup.account-fingerprint", f"{end_user.pk}:{end_user.password}:{end_user.email.lower()}"
                       ).hexdigest()[:24]


def _send_verification(*, hosted: HostedContext, end_user: EndUser, redirect_uri: str) -> None:
    emails.verification_email_send(
        hosted=hosted, end_user=end_user, redirect_uri=redirect_uri, fingerprint=_account_fingerprint(end_user),
        max_age_hours=int(VERIFICATION_MAX_AGE.total_seconds() // 3600),
    )


# --- settings ---------------------------------------------------------------------------


def signup_settings_update(
    *,
    project: Project,
    display_name: str,
    logo_url: str,
    accent_color: str,
    redirect_origins: list[str],
    oidc_issuer: str,
    oidc_client_id: str,
    oidc_client_secret: str | None,
    oidc_button_label: str,
) -> SignupSettings:
    """Save the dashboard form. ``oidc_client_secret=None`` keeps the stored secret; "" clears it.

    A new issuer is checked by fetching its discovery document now, so a typo shows up here
    rather than when an end user presses the button.
    """
    settings_row = SignupSettings.objects.filter(project=project).first() or SignupSettings(project=project)
    if oidc_issuer and oidc_issuer != settings_row.oidc_issuer:
        try:
            oidc.provider_metadata(issuer=oidc_issuer, use_cache=False)
        except oidc.OidcError as exc:
            raise ApiError(f"{oidc_issuer} is not a usable OpenID Connect issuer: {exc}", code="invalid_oidc_issuer",
                           extra={"fields": {"oidc_issuer": [str(exc)]}}) from exc
    settings_row.display_name = display_name.strip()
    settings_row.logo_url = logo_url.strip()
    settings_row.accent_color = accent_color.lower()
    settings_row.redirect_origins = list(dict.fromkeys(redirect_origins))
    settings_row.oidc_issuer = oidc_issuer
    settings_row.oidc_client_id = oidc_client_id.strip()
    settings_row.oidc_button_label = oidc_button_label.strip()
    if oidc_client_secret is not None:
        settings_row.oidc_client_secret_encrypted = crypto.encrypt(oidc_client_secret) if oidc_client_secret else ""
    settings_row.save()
    return settings_row


# --- sign-in codes -----------------------------------------------------------------------


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def sign_in_code_issue(*, end_user: EndUser, redirect_uri: str, method: str) -> str:
    """A one-time code for ``redirect_uri``; returns the raw code (only its digest is stored)."""
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    SignInCode.objects.create(
        digest=_code_digest(code),
        project_id=end_user.project_id,
        mode=end_user.mode,
        end_user=end_user,
        redirect_uri=redirect_uri,
        method=method,
        expires_at=now + CODE_TTL,
    )
    EndUserAuth.objects.update_or_create(end_user=end_user, defaults={"last_sign_in_at": now})
    return code


def _sign_in_redirect(*, end_user: EndUser, redirect_uri: str, method: str) -> str:
    return redirect_with_code(url=redirect_uri, code=sign_in_code_issue(end_user=end_user, redirect_uri=redirect_uri,
                                                                          method=method))


def _code_refused(message: str, code: str) -> ApiError:
    return ApiError(message, code=code, title="Invalid code")


def sign_in_code_exchange(*, key: KeyContext, code: str, redirect_uri: str, client_ip: str) -> EndUser:
    """Consume a code: one conditional UPDATE, so of two concurrent exchanges only one wins."""
    _rate_limit(rule="exchange:key", subject=f"{key.project_id}:{key.mode}:{key.kind}")
    digest = _code_digest(code)
    now = timezone.now()
    claimed = SignInCode.objects.filter(
        digest=digest,
        project_id=key.project_id,
        mode=key.mode,
        redirect_uri=redirect_uri,
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if claimed == 1:
        return SignInCode.objects.select_related("end_user__tier", "end_user__project").get(digest=digest).end_user
    # Refused: read the row only to say why. A code of another project or mode reads as unknown.
    row = SignInCode.objects.filter(digest=digest, project_id=key.project_id, mode=key.mode).first()
    if row is None:
        raise _code_refused("This code is unknown (or belongs to another project or mode).", "invalid_code")
    if row.used_at is not None:
        raise _code_refused("This code has already been used; codes work once.", "code_used")
    if row.expires_at <= now:
        raise _code_refused("This code has expired; the end user must sign in again.", "code_expired")
    raise _code_refused("redirectUri does not match the redirect URL the code was issued for.",
                        "redirect_uri_mismatch")


# --- tokens -------------------------------------------------------------------------------


def end_user_tokens_revoke(*, end_user: EndUser) -> EndUserAuth:
    """Refuse every token issued so far to this end user, and any sign-in code not yet used."""
    now = timezone.now()
    EndUserAuth.objects.get_or_create(end_user=end_user)
    EndUserAuth.objects.filter(end_user=end_user).update(token_version=F("token_version") + 1, tokens_revoked_at=now)
    SignInCode.objects.filter(end_user=end_user, used_at__isnull=True).update(used_at=now)
    return EndUserAuth.objects.get(end_user=end_user)


def end_user_token_refresh(*, key: KeyContext, customer_id: str | None = None, token: str | None = None
                           ) -> tuple[EndUser, IssuedToken]:
    """A new token for an end user named by id, or by a previous token of theirs.

    The previous token may have expired up to ``REFRESH_WINDOW`` ago, but must not be revoked.
    Either way the caller holds the project's secret key.
    """
    if token:
        claims = end_user_token_claims(token=token, project_id=key.project_id, project_public_id=key.project_public_id,
                                       mode=key.mode, allow_expired=REFRESH_WINDOW)
        customer_id = claims["sub"]
    end_user = (
        EndUser.objects.filter(project_id=key.project_id, mode=key.mode, public_id=customer_id)
        .select_related("tier", "project")
        .first()
    )
    if end_user is None:
        raise NotFound(f"No end user '{customer_id}' in this project and mode.", code="end_user_not_found")
    return end_user, end_user_token_issue(end_user=end_user)


# --- sign-up and e-mail verification -----------------------------------------------------------


def end_user_sign_up(*, hosted: HostedContext, email: str, password: str, redirect_uri: str, client_ip: str) -> None:
    """Register, or tell the owner of an existing account by e-mail. The caller shows the same
    "check your e-mail" page either way. The password must already be validated."""
    _rate_limit(rule="signup:ip", subject=client_ip)
    _rate_limit(rule="signup:email", subject=_account_subject(project_id=hosted.project.id, mode=hosted.mode,
                                                               email=email))
    existing = _find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if existing is None:
        try:
            end_user = end_user_create(project_id=hosted.project.id, mode=hosted.mode, email=email, password=password)
        except Conflict:  # created concurrently a moment ago: same as an existing account
            existing = _find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
        else:
            _send_verification(hosted=hosted, end_user=end_user, redirect_uri=redirect_uri)
            return
    if existing is None:
        return
    if existing.email_verified:
        emails.account_exists_email_send(hosted=hosted, end_user=existing, redirect_uri=redirect_uri)
        return
    # Registered but never confirmed. Whoever registered first has not proven they own the
    # address, so their password must not survive: the newest sign-up's password replaces it,
    # and the fingerprint in the links makes every earlier confirmation link void. Otherwise
    # someone could register a victim's address first and keep access after the victim
    # confirms it ("pre-account hijacking").
    new_hash = make_password(password)
    EndUser.objects.filter(pk=existing.pk, email_verified=False).update(password=new_hash, updated_at=timezone.now())
    existing.password = new_hash
    _send_verification(hosted=hosted, end_user=existing, redirect_uri=redirect_uri)


def email_verification_resend(*, hosted: HostedContext, email: str, redirect_uri: str, client_ip: str) -> None:
    _rate_limit(rule="resend:ip", subject=client_ip)
    _rate_limit(rule="resend:email", subject=_account_subject(project_id=hosted.project.id, mode=hosted.mode,
                                                               email=email))
    end_user = _find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if end_user is None:
        return
    if end_user.email_verified:
        emails.account_exists_email_send(hosted=hosted, end_user=end_user, redirect_uri=redirect_uri)
    else:
        _send_verification(hosted=hosted, end_user=end_user, redirect_uri=redirect_uri)


@dataclass(frozen=True)
class LinkTarget:
    """Who an e-mailed link is for and where to send them afterwards."""

    end_user: EndUser
    hosted: HostedContext
    redirect_uri: str


def _link_target(*, value: str, salt: str, max_age: timedelta) -> tuple[LinkTarget, dict]:
    try:
        payload = signing.loads(value, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise HostedPageError("This link has expired.", code="link_expired") from exc
    except signing.BadSignature as exc:
        raise HostedPageError("This link is not valid. Copy the whole link from the e-mail.", code="invalid_link") from exc
    end_user = EndUser.objects.select_related("tier", "project").filter(public_id=payload.get("u")).first()
    if end_user is None:
        raise HostedPageError("This link is not valid any more.", code="invalid_link")
    hosted = hosted_context_for_end_user(end_user=end_user)
    # The allowlist may have changed since the e-mail was sent: check the redirect again.
    redirect_uri = hosted_redirect_check(hosted=hosted, redirect_uri=payload.get("r", ""))
    return LinkTarget(end_user=end_user, hosted=hosted, redirect_uri=redirect_uri), payload


def email_verification_expired_target(*, value: str) -> tuple[HostedContext, str, str] | None:
    """For an expired (but genuine) link: (hosted, e-mail, redirect) so the page can offer a resend."""
    try:
        payload = signing.loads(value, salt=emails.VERIFY_SALT)
    except signing.BadSignature:
        return None
    end_user = EndUser.objects.filter(public_id=payload.get("u")).first()
    if end_user is None:
        return None
    try:
        hosted = hosted_context_for_end_user(end_user=end_user)
    except HostedPageError:
        return None
    return hosted, end_user.email, payload.get("r", "")


def email_verification_check(*, value: str) -> LinkTarget:
    target, payload = _link_target(value=value, salt=emails.VERIFY_SALT, max_age=VERIFICATION_MAX_AGE)
    if not target.end_user.email_verified and not secrets.compare_digest(
        str(payload.get("f", "")), _account_fingerprint(target.end_user)
    ):
        raise HostedPageError("This link has been replaced by a newer one; use the most recent e-mail.",
                              code="invalid_link")
    return target


def email_verification_confirm(*, value: str, client_ip: str) -> str | None:
    """Mark the e-mail verified and return the redirect URL with a sign-in code.

    The link signs the end user in, so it must work once: the conditional UPDATE succeeds only
    for the first use. Returns None when the address was already verified (the page then
    offers the sign-in form instead).
    """
    _rate_limit(rule="link:ip", subject=client_ip)
    target = email_verification_check(value=value)
    verified = EndUser.objects.filter(pk=target.end_user.pk, email_verified=False).update(
        email_verified=True, updated_at=timezone.now()
    )
    if verified != 1:
        return None
    return _sign_in_redirect(end_user=target.end_user, redirect_uri=target.redirect_uri,
                             method=SignInCode.Method.EMAIL_VERIFICATION)


# --- sign-in ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    """Signed in (``redirect_url`` is the redirect with ``?code=…``), or, with the right
    password but an unconfirmed e-mail, ``redirect_url`` None: a new link was sent."""

    redirect_url: str | None


class InvalidCredentials(ApiError):
    def __init__(self) -> None:
        super().__init__("The e-mail or password is not correct.", code="invalid_credentials", title="Sign-in failed")


def end_user_sign_in(*, hosted: HostedContext, email: str, password: str, redirect_uri: str, client_ip: str
                     ) -> SignInResult:
    _rate_limit(rule="signin:ip", subject=client_ip)
    _rate_limit(rule="signin:account", subject=_account_subject(project_id=hosted.project.id, mode=hosted.mode,
                                                                 email=email))
    end_user = _find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if end_user is None or not end_user.has_usable_password:
        # Hash anyway so an unknown e-mail takes as long to refuse as a wrong password.
        make_password(password)
        raise InvalidCredentials()
    if not check_password(password, end_user.password):
        raise InvalidCredentials()
    if not end_user.email_verified:
        _send_verification(hosted=hosted, end_user=end_user, redirect_uri=redirect_uri)
        return SignInResult(redirect_url=None)
    return SignInResult(redirect_url=_sign_in_redirect(end_user=end_user, redirect_uri=redirect_uri,
                                                       method=SignInCode.Method.PASSWORD))


# --- password reset ------------------------------------------------------------------------------


def password_reset_request(*, hosted: HostedContext, email: str, redirect_uri: str, client_ip: str) -> None:
    """Send a reset link if the account exists; the caller says "if an account exists…" either way."""
    _rate_limit(rule="reset:ip", subject=client_ip)
    _rate_limit(rule="reset:email", subject=_account_subject(project_id=hosted.project.id, mode=hosted.mode,
                                                              email=email))
    end_user = _find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if end_user is None:
        return
    emails.password_reset_email_send(hosted=hosted, end_user=end_user, redirect_uri=redirect_uri,
                                     fingerprint=_account_fingerprint(end_user),
                                     max_age_minutes=int(RESET_MAX_AGE.total_seconds() // 60))


def password_reset_check(*, value: str) -> LinkTarget:
    target, payload = _link_target(value=value, salt=emails.RESET_SALT, max_age=RESET_MAX_AGE)
    if not secrets.compare_digest(str(payload.get("f", "")), _account_fingerprint(target.end_user)):
        raise HostedPageError("This link has already been used. Ask for a new one if you still need it.",
                              code="invalid_link")
    return target


def password_reset_confirm(*, value: str, password: str, client_ip: str) -> str:
    """Set the new password, revoke the end user's tokens, and sign them in.

    Following the link proves they own the address, so the e-mail counts as verified.
    The password must already be validated.
    """
    _rate_limit(rule="link:ip", subject=client_ip)
    target = password_reset_check(value=value)
    end_user = target.end_user
    with transaction.atomic():
        changed = EndUser.objects.filter(pk=end_user.pk, password=end_user.password).update(
            password=make_password(password), email_verified=True, updated_at=timezone.now()
        )
        if changed != 1:  # a concurrent use of the same link won
            raise HostedPageError("This link has already been used.", code="invalid_link")
        end_user_tokens_revoke(end_user=end_user)
    return _sign_in_redirect(end_user=end_user, redirect_uri=target.redirect_uri, method=SignInCode.Method.PASSWORD_RESET)


# --- OpenID Connect ------------------------------------------------------------------------------


def oidc_sign_in_start(*, hosted: HostedContext, callback_url: str, client_ip: str
                       ) -> tuple[str, oidc.PendingAuthorization]:
    _rate_limit(rule="oidc:ip", subject=client_ip)
    if not hosted.settings.oidc_enabled:
        raise HostedPageError("This project does not offer sign-in with another provider.", code="oidc_not_configured")
    try:
        return oidc.authorization_start(
            issuer=hosted.settings.oidc_issuer, client_id=hosted.settings.oidc_client_id, callback_url=callback_url
        )
    except oidc.OidcError as exc:
        raise HostedPageError(str(exc), code="oidc_failed", status_code=502) from exc


def oidc_sign_in_finish(*, hosted: HostedContext, pending: oidc.PendingAuthorization, code: str, callback_url: str,
                        redirect_uri: str, client_ip: str) -> str:
    """Finish the provider's flow and return the redirect URL with a sign-in code.

    The end user is found by the provider's (issuer, subject) link, else by e-mail, which
    the provider must have verified (an unverified e-mail could claim someone else's
    account), else created on the default tier with no password.
    """
    _rate_limit(rule="oidc:ip", subject=client_ip)
    settings_row = hosted.settings
    if not settings_row.oidc_enabled:
        raise HostedPageError("This project does not offer sign-in with another provider.", code="oidc_not_configured")
    try:
        user = oidc.authorization_finish(
            issuer=settings_row.oidc_issuer,
            client_id=settings_row.oidc_client_id,
            client_secret=crypto.decrypt(settings_row.oidc_client_secret_encrypted),
            callback_url=callback_url,
            pending=pending,
            code=code,
        )
    except oidc.OidcError as exc:
        raise HostedPageError(str(exc), code="oidc_failed", status_code=502) from exc
    except crypto.InvalidToken as exc:
        logger.error("OIDC client secret of project %s cannot be decrypted", hosted.project.public_id)
        raise HostedPageError("Sign-in with this provider is misconfigured; the developer must re-enter the client "
                              "secret.", code="oidc_misconfigured") from exc

    project_id, mode = hosted.project.id, hosted.mode
    identity = (
        OidcIdentity.objects.filter(project_id=project_id, mode=mode, issuer=user.issuer, subject=user.subject)
        .select_related("end_user__tier", "end_user__project")
        .first()
    )
    now = timezone.now()
    if identity is not None:
        OidcIdentity.objects.filter(pk=identity.pk).update(last_used_at=now)
        end_user = identity.end_user
    else:
        if not user.email_verified:
            raise HostedPageError("Your sign-in provider has not confirmed your e-mail address, so it cannot be used "
                                  "here. Confirm it there, or sign up with e-mail and password.",
                                  code="oidc_email_unverified")
        end_user = _find_end_user(project_id=project_id, mode=mode, email=user.email)
        if end_user is None:
            try:
                end_user = end_user_create(project_id=project_id, mode=mode, email=user.email,
                                           first_name=user.given_name, last_name=user.family_name, email_verified=True)
            except Conflict:
                end_user = _find_end_user(project_id=project_id, mode=mode, email=user.email)
        elif not end_user.email_verified:
            # The provider vouches for the address, which is what verification would prove.
            EndUser.objects.filter(pk=end_user.pk).update(email_verified=True, updated_at=now)
        try:
            with transaction.atomic():
                OidcIdentity.objects.create(end_user=end_user, project_id=project_id, mode=mode, issuer=user.issuer,
                                            subject=user.subject, last_used_at=now)
        except IntegrityError:  # the same provider account finished two sign-ins at once
            pass
    return _sign_in_redirect(end_user=end_user, redirect_uri=redirect_uri, method=SignInCode.Method.OIDC)


# Used and expired codes are kept a day for support questions ("did my user sign in?").
CODE_RETENTION = timedelta(days=1)


def signup_records_cleanup(*, now=None) -> tuple[int, int]:
    """Delete sign-in codes past their retention and signing keys no longer published.
    Safe to run at any time and repeatedly. Returns (codes, keys) deleted."""
    from .models import SigningKey

    now = now or timezone.now()
    codes, _ = SignInCode.objects.filter(expires_at__lt=now - CODE_RETENTION).delete()
    keys, _ = SigningKey.objects.filter(retired_at__isnull=False, verify_until__lt=now).delete()
    return codes, keys
