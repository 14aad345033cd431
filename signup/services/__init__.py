"""Writes of the hosted sign-up, one module per subdomain:

- ``accounts``: sign-up (kept as a pending sign-up until its e-mail link is followed),
  sign-in, password reset, and the signed-in end user's /account actions;
- ``codes``: one-time sign-in codes and their exchange (with PKCE for browser apps);
- ``end_user_tokens``: token refresh and revocation;
- ``oidc_flow``: sign-in with the project's OpenID Connect provider;
- ``configuration``: the developer's settings of the pages;
- ``limits``: the abuse limits every anonymous entry point applies;
- ``cleanup``: deleting what can no longer be used.
"""

from .accounts import (
    DELETE_CONFIRMATION,
    PENDING_RETENTION,
    RESET_MAX_AGE,
    VERIFICATION_MAX_AGE,
    InvalidCredentials,
    LinkTarget,
    PendingLink,
    account_delete,
    account_password_change,
    account_profile_update,
    account_sign_out_everywhere,
    email_verification_resend,
    end_user_sign_in,
    end_user_sign_up,
    password_reset_check,
    password_reset_confirm,
    password_reset_request,
    pending_signup_check,
    pending_signup_confirm,
    session_sign_in,
)
from .cleanup import signup_records_cleanup
from .codes import CODE_TTL, SignedIn, sign_in_code_exchange, sign_in_code_issue, signed_in
from .configuration import signup_settings_update
from .end_user_tokens import end_user_from_request, end_user_token_refresh, end_user_tokens_revoke
from .limits import RATE_LIMITS
from .oidc_flow import oidc_sign_in_finish, oidc_sign_in_start

__all__ = [
    "CODE_TTL", "DELETE_CONFIRMATION", "PENDING_RETENTION", "RATE_LIMITS", "RESET_MAX_AGE", "VERIFICATION_MAX_AGE",
    "InvalidCredentials", "LinkTarget", "PendingLink", "SignedIn", "account_delete", "account_password_change",
    "account_profile_update", "account_sign_out_everywhere", "email_verification_resend", "end_user_from_request",
    "end_user_sign_in", "end_user_sign_up", "end_user_token_refresh", "end_user_tokens_revoke",
    "oidc_sign_in_finish", "oidc_sign_in_start", "password_reset_check", "password_reset_confirm",
    "password_reset_request", "pending_signup_check", "pending_signup_confirm", "session_sign_in",
    "sign_in_code_exchange", "sign_in_code_issue", "signed_in", "signup_records_cleanup", "signup_settings_update",
]
