"""End users' accounts on the hosted pages: sign-up and its e-mail link, sign-in, password
reset, and what the signed-in end user does on /account.

No answer tells a visitor whether an e-mail is registered (the e-mail itself does: "confirm
your address" or "you already have an account"), and an anonymous request never changes an
existing account: a sign-up is kept apart as a ``PendingSignup`` until its link is followed
(see that model for why, and how the browser that signed up is recognised).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from dreamapi.errors import ApiError, Conflict
from tenants.models import EndUser
from tenants.services import end_user_create, end_user_delete, end_user_update

from .. import emails, pkce
from ..models import PendingSignup, SignInCode
from ..selectors import (
    AppReturn,
    HostedContext,
    HostedPageError,
    hosted_context_for,
    hosted_context_for_end_user,
    hosted_redirect_check,
)
from .codes import SignedIn, signed_in
from .end_user_tokens import end_user_tokens_revoke
from .limits import rate_limit, rate_limit_visitor

VERIFICATION_MAX_AGE = timedelta(hours=24)
RESET_MAX_AGE = timedelta(hours=1)
# A pending sign-up's link can be re-sent (a new link, valid VERIFICATION_MAX_AGE) this long.
PENDING_RETENTION = timedelta(days=7)
# Open sign-ups kept per address; older ones are voided (the per-e-mail rate limit keeps this small anyway).
PENDING_PER_EMAIL = 5
DELETE_CONFIRMATION = "DELETE"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def find_end_user(*, project_id: int, mode: str, email: str) -> EndUser | None:
    return (
        EndUser.objects.filter(project_id=project_id, mode=mode, email__iexact=email.strip())
        .select_related("tier", "project")
        .first()
    )


def _account_fingerprint(end_user: EndUser) -> str:
    """Changes whenever the password or the e-mail does.

    Reset links carry it, so a link stops working once the account it was sent for has
    changed: it works once (the idea of Django's PasswordResetTokenGenerator, which needs a
    full auth user model).
    """
    return salted_hmac("signup.account-fingerprint", f"{end_user.pk}:{end_user.password}:{end_user.email.lower()}"
                       ).hexdigest()[:24]


# --- pending sign-ups ------------------------------------------------------------------------


def _open_pendings(*, project_id: int, mode: str, email: str) -> QuerySet[PendingSignup]:
    return PendingSignup.objects.filter(
        project_id=project_id, mode=mode, email__iexact=email.strip(), confirmed_at__isnull=True,
        voided_at__isnull=True, created_at__gt=timezone.now() - PENDING_RETENTION,
    ).order_by("-created_at", "-id")


def _link_email_send(*, hosted: HostedContext, pending: PendingSignup, token: str) -> None:
    emails.verification_email_send(hosted=hosted, to=pending.email, token=token,
                                   max_age_hours=int(VERIFICATION_MAX_AGE.total_seconds() // 3600))


def _pending_create(*, hosted: HostedContext, email: str, password_hash: str, back: AppReturn,
                    browser_key: str) -> PendingSignup:
    token = secrets.token_urlsafe(32)
    pending = PendingSignup.objects.create(
        project_id=hosted.project.id, mode=hosted.mode, email=email.strip(), password=password_hash,
        token_digest=_digest(token), browser_digest=_digest(browser_key) if browser_key else "",
        redirect_uri=back.redirect_uri, code_challenge=back.code_challenge, link_sent_at=timezone.now(),
    )
    stale = list(_open_pendings(project_id=hosted.project.id, mode=hosted.mode, email=email)
                 .values_list("id", flat=True)[PENDING_PER_EMAIL:])
    if stale:
        PendingSignup.objects.filter(id__in=stale).update(voided_at=timezone.now())
    _link_email_send(hosted=hosted, pending=pending, token=token)
    return pending


def _pending_resend(*, hosted: HostedContext, pending: PendingSignup) -> None:
    """A new link for the same pending sign-up; the one sent before stops working."""
    token = secrets.token_urlsafe(32)
    PendingSignup.objects.filter(pk=pending.pk).update(token_digest=_digest(token), link_sent_at=timezone.now())
    _link_email_send(hosted=hosted, pending=pending, token=token)


def _confirmed_owner_told(*, hosted: HostedContext, end_user: EndUser | None, back: AppReturn) -> bool:
    """A confirmed account gets no new link: its owner is told "you already have an account"
    (with sign-in and reset links) instead, and the visitor sees the same page as ever."""
    if end_user is None or not end_user.email_verified:
        return False
    emails.account_exists_email_send(hosted=hosted, end_user=end_user, back=back)
    return True


def end_user_sign_up(*, hosted: HostedContext, email: str, password: str, back: AppReturn, browser_key: str,
                     client_ip: str) -> None:
    """Keep a sign-up until its link is followed, or tell the owner of a confirmed account by
    e-mail. The caller shows the same "check your e-mail" page either way. The password must
    already be validated."""
    rate_limit_visitor(action="signup", project_id=hosted.project.id, mode=hosted.mode, email=email,
                       client_ip=client_ip)
    existing = find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if _confirmed_owner_told(hosted=hosted, end_user=existing, back=back):
        return
    # A new address, or an account nobody has confirmed yet (every end user created with
    # POST /api/customers starts so): the account is created or claimed only when the link is
    # followed, with this sign-up's password. Until then nothing about it changes, so a
    # stranger's sign-up can neither take the account over nor lock its owner out.
    _pending_create(hosted=hosted, email=email, password_hash=make_password(password), back=back,
                    browser_key=browser_key)


def email_verification_resend(*, hosted: HostedContext, email: str, back: AppReturn, browser_key: str,
                              client_ip: str) -> None:
    rate_limit_visitor(action="resend", project_id=hosted.project.id, mode=hosted.mode, email=email,
                       client_ip=client_ip)
    end_user = find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if _confirmed_owner_told(hosted=hosted, end_user=end_user, back=back):
        return
    pendings = _open_pendings(project_id=hosted.project.id, mode=hosted.mode, email=email)
    pending = (pendings.filter(browser_digest=_digest(browser_key)).first() if browser_key else None) \
        or pendings.first()
    if pending is not None:
        _pending_resend(hosted=hosted, pending=pending)
    elif end_user is not None:
        # An unconfirmed account nobody is signing up for (created with the API): its way in is
        # a link to set (or reset) its password, which confirms the address too.
        _password_reset_send(hosted=hosted, end_user=end_user, back=back)


@dataclass(frozen=True)
class PendingLink:
    """What a confirmation link leads to. ``state``: "open" (can be confirmed), "expired"
    (can be re-sent), "replaced" (voided by a newer sign-up or another link), "confirmed"."""

    pending: PendingSignup
    hosted: HostedContext
    back: AppReturn
    state: str
    needs_password: bool


def _pending_link(pending: PendingSignup, *, browser_key: str) -> PendingLink:
    hosted = hosted_context_for(project_id=pending.project_id, mode=pending.mode)
    # The allowlist may have changed since the e-mail was sent: check the redirect again.
    back = AppReturn(redirect_uri=hosted_redirect_check(hosted=hosted, redirect_uri=pending.redirect_uri),
                     code_challenge=pending.code_challenge)
    account = find_end_user(project_id=pending.project_id, mode=pending.mode, email=pending.email)
    if pending.confirmed_at is not None or (account is not None and account.email_verified):
        state = "confirmed"
    elif pending.voided_at is not None or pending.created_at <= timezone.now() - PENDING_RETENTION:
        state = "replaced"
    elif pending.link_sent_at <= timezone.now() - VERIFICATION_MAX_AGE:
        state = "expired"
    else:
        state = "open"
    same_browser = bool(browser_key and pending.browser_digest
                        and secrets.compare_digest(pending.browser_digest, _digest(browser_key)))
    return PendingLink(pending=pending, hosted=hosted, back=back, state=state,
                       needs_password=bool(pending.password) and not same_browser)


def pending_signup_check(*, token: str, browser_key: str) -> PendingLink:
    pending = PendingSignup.objects.filter(token_digest=_digest(token)).first() if token else None
    if pending is None:
        raise HostedPageError("This link is not valid any more. Use the link in the most recent e-mail, or sign up "
                              "again.", code="invalid_link")
    return _pending_link(pending, browser_key=browser_key)


def pending_signup_confirm(*, token: str, browser_key: str, new_password: str | None, client_ip: str
                           ) -> SignedIn | None:
    """Follow a confirmation link: create or claim the account and sign the end user in.

    In the browser that signed up, the sign-up's own password is used; anywhere else the
    person following the link chooses one (``new_password``, already validated), so the
    password of whoever started the sign-up never reaches an account it was not confirmed
    for. Every other pending sign-up of the address is voided. Returns None when the address
    was already confirmed (the page then offers the sign-in form).
    """
    rate_limit(rule="link:ip", subject=client_ip)
    with transaction.atomic():
        pending = PendingSignup.objects.select_for_update().filter(token_digest=_digest(token)).first() \
            if token else None
        if pending is None:
            raise HostedPageError("This link is not valid any more.", code="invalid_link")
        link = _pending_link(pending, browser_key=browser_key)
        if link.state == "confirmed":
            return None
        if link.state == "replaced":
            raise HostedPageError("This link has been replaced by a newer one; use the most recent e-mail.",
                                  code="invalid_link")
        if link.state == "expired":
            raise HostedPageError("This link has expired.", code="link_expired")
        if link.needs_password and not new_password:
            raise HostedPageError("Choose a password to continue.", code="password_required")
        password_hash = make_password(new_password) if link.needs_password else pending.password
        now = timezone.now()
        end_user = EndUser.objects.select_for_update().filter(
            project_id=pending.project_id, mode=pending.mode, email__iexact=pending.email).first()
        if end_user is None:
            try:
                end_user = end_user_create(project_id=pending.project_id, mode=pending.mode, email=pending.email,
                                           email_verified=True)
            except Conflict as exc:  # another link of this address was confirmed at the same moment
                raise HostedPageError("This address has just been confirmed with another link. Sign in to "
                                      "continue.", code="invalid_link") from exc
            claimed = False
        else:
            claimed = True
        changes = {"email_verified": True, "updated_at": now}
        if password_hash:
            changes["password"] = password_hash
        EndUser.objects.filter(pk=end_user.pk).update(**changes)
        PendingSignup.objects.filter(pk=pending.pk).update(confirmed_at=now)
        _open_pendings(project_id=pending.project_id, mode=pending.mode, email=pending.email).exclude(
            pk=pending.pk).update(voided_at=now)
        if claimed and password_hash:
            # Claiming an account with a new password is a password reset: whatever held its
            # tokens before (the developer's backend, a previous password) must sign in again.
            end_user_tokens_revoke(end_user=end_user)
        return signed_in(end_user=end_user, back=link.back, method=SignInCode.Method.EMAIL_VERIFICATION)


# --- sign-in ----------------------------------------------------------------------------------


class InvalidCredentials(ApiError):
    def __init__(self) -> None:
        super().__init__("The e-mail or password is not correct.", code="invalid_credentials", title="Sign-in failed")


def _pending_with_password(*, hosted: HostedContext, email: str, password: str) -> PendingSignup | None:
    for pending in _open_pendings(project_id=hosted.project.id, mode=hosted.mode, email=email)[:PENDING_PER_EMAIL]:
        if pending.password and check_password(password, pending.password):
            return pending
    return None


def end_user_sign_in(*, hosted: HostedContext, email: str, password: str, back: AppReturn, browser_key: str,
                     client_ip: str) -> EndUser | None:
    """The end user, or None when the address still needs confirming (a link was sent). The
    caller then sends them back to the app (``signed_in``) or on to /account.

    A wrong password, an unknown e-mail and an account without a password all get the same
    ``InvalidCredentials``.
    """
    rate_limit_visitor(action="signin", project_id=hosted.project.id, mode=hosted.mode, email=email,
                       client_ip=client_ip)
    end_user = find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if end_user is not None and end_user.has_usable_password and check_password(password, end_user.password):
        if end_user.email_verified:
            return end_user
        # The right password of an unconfirmed account: confirm the address first (the link
        # keeps the password as it is).
        _pending_create(hosted=hosted, email=end_user.email, password_hash="", back=back, browser_key=browser_key)
        return None
    # Signed up but not confirmed yet: the sign-up's password gets its link again.
    pending = _pending_with_password(hosted=hosted, email=email, password=password)
    if pending is not None:
        _pending_resend(hosted=hosted, pending=pending)
        return None
    if end_user is None or not end_user.has_usable_password:
        # Hash anyway so an unknown e-mail takes as long to refuse as a wrong password.
        make_password(password)
    raise InvalidCredentials()


# --- password reset (and "set your password") -------------------------------------------------------


@dataclass(frozen=True)
class LinkTarget:
    """Who a reset link is for and where to send them afterwards."""

    end_user: EndUser
    hosted: HostedContext
    back: AppReturn


def _password_reset_send(*, hosted: HostedContext, end_user: EndUser, back: AppReturn) -> None:
    emails.password_reset_email_send(hosted=hosted, end_user=end_user, back=back,
                                     fingerprint=_account_fingerprint(end_user),
                                     max_age_minutes=int(RESET_MAX_AGE.total_seconds() // 60))


def password_reset_request(*, hosted: HostedContext, email: str, back: AppReturn, client_ip: str) -> None:
    """Send a reset link (a "set your password" link to an account without one) if the account
    exists; the caller says "if an account exists…" either way."""
    rate_limit_visitor(action="reset", project_id=hosted.project.id, mode=hosted.mode, email=email,
                       client_ip=client_ip)
    end_user = find_end_user(project_id=hosted.project.id, mode=hosted.mode, email=email)
    if end_user is not None:
        _password_reset_send(hosted=hosted, end_user=end_user, back=back)


def password_reset_check(*, value: str) -> LinkTarget:
    try:
        payload = signing.loads(value, salt=emails.RESET_SALT, max_age=RESET_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise HostedPageError("This link has expired. Ask for a new one.", code="link_expired") from exc
    except signing.BadSignature as exc:
        raise HostedPageError("This link is not valid. Copy the whole link from the e-mail.", code="invalid_link") from exc
    end_user = EndUser.objects.select_related("tier", "project").filter(public_id=payload.get("u")).first()
    if end_user is None:
        raise HostedPageError("This link is not valid any more.", code="invalid_link")
    if not secrets.compare_digest(str(payload.get("f", "")), _account_fingerprint(end_user)):
        raise HostedPageError("This link has already been used. Ask for a new one if you still need it.",
                              code="invalid_link")
    hosted = hosted_context_for_end_user(end_user=end_user)
    # The allowlist may have changed since the e-mail was sent: check the redirect again.
    back = AppReturn(redirect_uri=hosted_redirect_check(hosted=hosted, redirect_uri=payload.get("r", "")),
                     code_challenge=payload.get("c", "") if pkce.CHALLENGE_RE.match(payload.get("c", "")) else "")
    return LinkTarget(end_user=end_user, hosted=hosted, back=back)


def password_reset_confirm(*, value: str, password: str, client_ip: str) -> SignedIn:
    """Set the new password, revoke the end user's tokens, and sign them in.

    Following the link proves they own the address, so the e-mail counts as verified, and
    sign-ups of the address still waiting for their link are voided. The password must
    already be validated.
    """
    rate_limit(rule="link:ip", subject=client_ip)
    target = password_reset_check(value=value)
    end_user = target.end_user
    with transaction.atomic():
        changed = EndUser.objects.filter(pk=end_user.pk, password=end_user.password).update(
            password=make_password(password), email_verified=True, updated_at=timezone.now()
        )
        if changed != 1:  # a concurrent use of the same link won
            raise HostedPageError("This link has already been used.", code="invalid_link")
        end_user_tokens_revoke(end_user=end_user)
        _open_pendings(project_id=end_user.project_id, mode=end_user.mode, email=end_user.email).update(
            voided_at=timezone.now())
    return signed_in(end_user=end_user, back=target.back, method=SignInCode.Method.PASSWORD_RESET)


# --- /account and /refresh: the signed-in end user ----------------------------------------------------


def session_sign_in(*, end_user: EndUser, back: AppReturn, client_ip: str) -> SignedIn:
    """Back to the app with a fresh code (the end user is signed in on the hosted pages)."""
    rate_limit(rule="session:ip", subject=client_ip)
    return signed_in(end_user=end_user, back=back, method=SignInCode.Method.SESSION)


def account_profile_update(*, end_user: EndUser, first_name: str, last_name: str, client_ip: str) -> EndUser:
    rate_limit(rule="account:ip", subject=client_ip)
    return end_user_update(end_user=end_user, first_name=first_name.strip(), last_name=last_name.strip())


def account_password_change(*, end_user: EndUser, current_password: str, new_password: str, client_ip: str
                            ) -> None:
    """Change the password (the current one is required: a session left open on a shared
    computer must not be enough) and sign out every device; the caller keeps this browser's
    hosted session. The new password must already be validated."""
    rate_limit(rule="account:ip", subject=client_ip)
    rate_limit(rule="account:password", subject=f"{end_user.project_id}:{end_user.mode}:{end_user.pk}")
    if not end_user.has_usable_password or not check_password(current_password, end_user.password):
        raise ApiError("The current password is not correct.", code="invalid_credentials", title="Not changed")
    with transaction.atomic():
        EndUser.objects.filter(pk=end_user.pk).update(password=make_password(new_password), updated_at=timezone.now())
        end_user_tokens_revoke(end_user=end_user)


def account_sign_out_everywhere(*, end_user: EndUser, client_ip: str) -> None:
    rate_limit(rule="account:ip", subject=client_ip)
    end_user_tokens_revoke(end_user=end_user)


def account_delete(*, end_user: EndUser, confirmation: str, client_ip: str) -> None:
    """Delete the account, as ``DELETE /api/customers/{id}`` does, once the end user typed
    the confirmation word."""
    rate_limit(rule="account:ip", subject=client_ip)
    if confirmation.strip() != DELETE_CONFIRMATION:
        raise ApiError(f"Type {DELETE_CONFIRMATION} to confirm.", code="confirmation_required", title="Not deleted")
    end_user_delete(end_user=end_user)
