"""Sign-in with the project's OpenID Connect provider (the protocol itself is in signup.oidc)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from dreamapi.errors import Conflict
from tenants.models import EndUser
from tenants.services import end_user_create

from .. import crypto, oidc
from ..models import OidcIdentity
from ..selectors import HostedContext, HostedPageError
from .accounts import find_end_user
from .limits import rate_limit

logger = logging.getLogger(__name__)


def oidc_sign_in_start(*, hosted: HostedContext, callback_url: str, client_ip: str
                       ) -> tuple[str, oidc.PendingAuthorization]:
    rate_limit(rule="oidc:ip", subject=client_ip)
    if not hosted.settings.oidc_enabled:
        raise HostedPageError("This project does not offer sign-in with another provider.", code="oidc_not_configured")
    try:
        return oidc.authorization_start(
            issuer=hosted.settings.oidc_issuer, client_id=hosted.settings.oidc_client_id, callback_url=callback_url
        )
    except oidc.OidcError as exc:
        raise HostedPageError(str(exc), code="oidc_failed", status_code=502) from exc


def oidc_sign_in_finish(*, hosted: HostedContext, pending: oidc.PendingAuthorization, code: str, callback_url: str,
                        client_ip: str) -> EndUser:
    """Finish the provider's flow: who signed in (the caller sends them back to the app with
    ``signed_in``, or on to /account).

    The end user is found by the provider's (issuer, subject) link, else by e-mail, which
    the provider must have verified (an unverified e-mail could claim someone else's
    account), else created on the default tier with no password.
    """
    rate_limit(rule="oidc:ip", subject=client_ip)
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
        end_user = find_end_user(project_id=project_id, mode=mode, email=user.email)
        if end_user is None:
            try:
                end_user = end_user_create(project_id=project_id, mode=mode, email=user.email,
                                           first_name=user.given_name, last_name=user.family_name, email_verified=True)
            except Conflict:
                end_user = find_end_user(project_id=project_id, mode=mode, email=user.email)
        elif not end_user.email_verified:
            # The provider vouches for the address, which is what verification would prove.
            EndUser.objects.filter(pk=end_user.pk).update(email_verified=True, updated_at=now)
        try:
            with transaction.atomic():
                OidcIdentity.objects.create(end_user=end_user, project_id=project_id, mode=mode, issuer=user.issuer,
                                            subject=user.subject, last_used_at=now)
        except IntegrityError:  # the same provider account finished two sign-ins at once
            pass
    return end_user
