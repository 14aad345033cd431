"""Production settings: complete ones pass `check --deploy`; a missing secret stops the start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.production import PRODUCTION

ROOT = Path(__file__).resolve().parents[2]



def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith(("DJANGO_", "STRIPE_"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_the_documented_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STRIPE_LIVE_SECRET_KEY",
                                     "STRIPE_CONNECT_WEBHOOK_SECRETS", "PLATFORM_PLAN_PRICE_ID", "ALLOWED_HOSTS",
                                     "FIELD_ENCRYPTION_KEYS"])
def test_a_missing_production_secret_fails_loudly_at_start(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize("secret_key", [
    "short-secret-key-0123456789",                                 # < 50 characters
    "local-insecure-key-do-not-use-in-production-0123456789",      # the local default
    "django-insecure-" + "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8o9p0zxcvbnm",  # startproject's kind
    "abcd" * 20,                                                   # fewer than 5 distinct characters
])
def test_production_refuses_a_weak_or_default_secret_key(secret_key):
    result = manage("check", env={**PRODUCTION, "SECRET_KEY": secret_key})
    assert result.returncode != 0
    assert "SECRET_KEY must be 50+ random characters" in result.stderr


@pytest.mark.parametrize("keys", ["too-short-key", PRODUCTION["SECRET_KEY"], "ok-field-encryption-key-0123456789abcdef,aaaa"])
def test_production_refuses_a_weak_field_encryption_key(keys):
    result = manage("check", env={**PRODUCTION, "FIELD_ENCRYPTION_KEYS": keys})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be 32+ random characters" in result.stderr
