"""The developer's settings of the hosted pages."""

from __future__ import annotations

from dreamapi.errors import ApiError
from tenants.models import Project

from .. import crypto, oidc
from ..models import SignupSettings


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

    A new issuer is checked by fetching its discovery document now (through safehttp: public
    addresses only), so a typo shows up here rather than when an end user presses the button.
    """
    settings_row = SignupSettings.objects.filter(project=project).first() or SignupSettings(project=project)
    if oidc_issuer and oidc_issuer != settings_row.oidc_issuer:
        try:
            oidc.provider_metadata(issuer=oidc_issuer, use_cache=False)
        except oidc.OidcError as exc:
            # The message is generic by construction (oidc/safehttp never repeat what was fetched).
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
