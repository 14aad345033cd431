"""Encryption at rest for the secrets this app keeps: signing keys and OIDC client secrets.

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256) under keys of their own, separate from
Django's ``SECRET_KEY``: ``FIELD_ENCRYPTION_KEYS`` is a list of secrets (each turned into a
Fernet key with HKDF). The first encrypts; every one of them decrypts. To rotate, put a new
secret first, keep the old ones after it, run ``manage.py reencrypt_secrets`` (every stored
value is then under the first key), and drop the old ones.

Before ``FIELD_ENCRYPTION_KEYS`` existed the key was derived from ``SECRET_KEY`` (and
``SECRET_KEY_FALLBACKS``). Those derived keys still *decrypt*, after the configured ones, so
values stored before the setting was introduced keep working until ``reencrypt_secrets`` has
moved them; ``FIELD_ENCRYPTION_SECRET_KEY_FALLBACK = False`` then retires them. Outside
production, with no ``FIELD_ENCRYPTION_KEYS``, the ``SECRET_KEY``-derived key also encrypts (a
local default; production refuses to start without the setting).

A database column holding such a value is named ``*_encrypted``: ``reencrypt_secrets`` finds
every column of that name.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "is_current", "reencrypt"]

_INFO = b"dreamapi.field-encryption.v2"
_SECRET_KEY_INFO = b"dreamapi.signup.encryption.v1"  # the derivation from SECRET_KEY, kept to decrypt


@functools.lru_cache(maxsize=64)
def _fernet_for(secret: str, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernets() -> list[Fernet]:
    """Every key that decrypts, the one that encrypts first."""
    configured = [_fernet_for(secret, _INFO) for secret in settings.FIELD_ENCRYPTION_KEYS]
    from_secret_key = []
    if not configured or settings.FIELD_ENCRYPTION_SECRET_KEY_FALLBACK:
        from_secret_key = [_fernet_for(secret, _SECRET_KEY_INFO)
                           for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]]
    return configured + from_secret_key


def encrypt(value: str) -> str:
    return MultiFernet(_fernets()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Raises ``InvalidToken`` when none of the keys (configured or fallback) can decrypt it."""
    return MultiFernet(_fernets()).decrypt(token.encode()).decode()


def is_current(token: str) -> bool:
    """Whether the key that encrypts today encrypted ``token`` (nothing to re-encrypt)."""
    try:
        _fernets()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """The same value encrypted with the current key; raises ``InvalidToken`` like ``decrypt``."""
    return MultiFernet(_fernets()).rotate(token.encode()).decode()
