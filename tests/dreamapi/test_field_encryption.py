"""Stored secrets are encrypted with FIELD_ENCRYPTION_KEYS (first encrypts, all decrypt), values from
before the setting (SECRET_KEY-derived) still decrypt, and `reencrypt_secrets` moves them all."""

import base64

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from signup import crypto
from signup.models import SigningKey, SignupSettings
from signup.tokens import end_user_token_issue, signing_key_get_or_create

NEW = "field-encryption-key-new-0123456789abcdefghij"
OLD = "field-encryption-key-old-0123456789abcdefghij"


def encrypted_as_before(value: str) -> str:
    """A value as the code before FIELD_ENCRYPTION_KEYS stored it: a key derived from SECRET_KEY."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"dreamapi.signup.encryption.v1").derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key)).encrypt(value.encode()).decode()


def test_the_first_key_encrypts_and_every_key_decrypts():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        token = crypto.encrypt("s3cret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD], FIELD_ENCRYPTION_SECRET_KEY_FALLBACK=False):
        assert crypto.decrypt(token) == "s3cret"
        assert not crypto.is_current(token)
        assert crypto.is_current(crypto.encrypt("other"))
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW], FIELD_ENCRYPTION_SECRET_KEY_FALLBACK=False):
        with pytest.raises(crypto.InvalidToken):
            crypto.decrypt(token)


def test_the_key_is_not_derived_from_secret_key_once_configured():
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        token = crypto.encrypt("s3cret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW], SECRET_KEY="another-secret-key-" + "z9" * 30):
        assert crypto.decrypt(token) == "s3cret"
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):  # the local default: SECRET_KEY-derived only
        with pytest.raises(crypto.InvalidToken):
            crypto.decrypt(token)


def test_values_stored_before_the_setting_still_decrypt_until_the_fallback_is_retired():
    token = encrypted_as_before("s3cret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        assert crypto.decrypt(token) == "s3cret" and crypto.is_current(token)  # outside production: as before
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        assert crypto.decrypt(token) == "s3cret" and not crypto.is_current(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW], FIELD_ENCRYPTION_SECRET_KEY_FALLBACK=False):
        with pytest.raises(crypto.InvalidToken):
            crypto.decrypt(token)


@pytest.fixture
def stored_before(alice, bob):
    """Signing keys and an OIDC client secret stored under the SECRET_KEY-derived key."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        keys = [signing_key_get_or_create(project_id=t.project.id) for t in (alice, bob)]
    SignupSettings.objects.create(project=alice.project, oidc_issuer="https://id.example.com", oidc_client_id="c",
                                  oidc_client_secret_encrypted=encrypted_as_before("client-secret"))
    SignupSettings.objects.create(project=bob.project)  # no secret: nothing to re-encrypt
    return {k.pk: crypto.decrypt(k.private_key_encrypted) for k in keys}


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("reencrypt_secrets", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_reencrypt_secrets_moves_every_stored_value_to_the_current_key(alice, stored_before):
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        dry = run("--dry-run")
        assert "signup.SigningKey.private_key_encrypted: 2 would be re-encrypted, 0 already current" in dry
        assert not any(crypto.is_current(k.private_key_encrypted) for k in SigningKey.objects.all())

        out = run()
        assert "signup.SigningKey.private_key_encrypted: 2 re-encrypted, 0 already current, 0 unreadable" in out
        assert "signup.SignupSettings.oidc_client_secret_encrypted: 1 re-encrypted, 0 already current" in out
        assert "signup.SigningKey.private_key_encrypted: 0 re-encrypted, 2 already current" in run()  # idempotent

    # Only the new key is needed now: the old derivation can be retired.
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW], FIELD_ENCRYPTION_SECRET_KEY_FALLBACK=False):
        for key in SigningKey.objects.all():
            assert crypto.decrypt(key.private_key_encrypted) == stored_before[key.pk]
        row = SignupSettings.objects.get(project=alice.project)
        assert crypto.decrypt(row.oidc_client_secret_encrypted) == "client-secret"
        assert end_user_token_issue(end_user=alice.end_user()).token  # the project still signs tokens


@pytest.mark.django_db
def test_reencrypt_secrets_reports_and_leaves_values_no_key_can_read(alice, stored_before):
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW], FIELD_ENCRYPTION_SECRET_KEY_FALLBACK=False):
        unreadable = SigningKey.objects.first().private_key_encrypted
        with pytest.raises(CommandError, match="could not be decrypted"):
            run()
        assert SigningKey.objects.filter(private_key_encrypted=unreadable).exists()
