"""Encryption at rest for the secrets this app keeps: signing keys and OIDC client secrets.

The key is derived from Django's ``SECRET_KEY`` with HKDF, so there is no second secret to
provision; ``SECRET_KEY_FALLBACKS`` still decrypt, which makes a ``SECRET_KEY`` rotation safe
(Django's own rotation procedure). Values are Fernet tokens (AES-128-CBC + HMAC-SHA256).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]

_INFO = b"dreamapi.signup.encryption.v1"


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Raises ``InvalidToken`` when no current or fallback ``SECRET_KEY`` can decrypt it."""
    return _fernet().decrypt(token.encode()).decode()
