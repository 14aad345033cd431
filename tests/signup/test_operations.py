"""Operator tools: the cleanup command and the admin."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from signup.emails import unsent_email_keep
from signup.models import EndUserAuth, PendingSignup, SignInCode, SigningKey, UnsentEmail
from signup.services import end_user_tokens_revoke
from signup.tokens import end_user_token_issue, signing_key_rotate

from .conftest import PASSWORD, hosted_url, issue_code, verified_user

pytestmark = pytest.mark.django_db


def test_cleanup_deletes_only_what_can_no_longer_be_used(client, alice_pages):
    end_user = verified_user(alice_pages)
    issue_code(end_user)
    end_user_token_issue(end_user=end_user)
    signing_key_rotate(project=alice_pages.project)
    client.post(hosted_url("/signup", alice_pages), {"email": "dana@example.com", "password": PASSWORD})
    unsent_email_keep(to="dana@example.com", subject="s", body="b", reason="enqueue")
    call_command("signup_cleanup")
    assert SignInCode.objects.count() == 1
    assert SigningKey.objects.count() == 2
    assert PendingSignup.objects.count() == 1 and UnsentEmail.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        fresh = issue_code(end_user)
        call_command("signup_cleanup")
    assert SignInCode.objects.count() == 1 and fresh
    assert SigningKey.objects.count() == 1
    assert PendingSignup.objects.count() == 1, "a pending sign-up can be re-sent for a week"
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        call_command("signup_cleanup")
    assert PendingSignup.objects.count() == 0, "its password hash is not kept longer"
    assert UnsentEmail.objects.count() == 0


def test_the_admin_pages_render_without_secrets(client, alice_pages):
    end_user = verified_user(alice_pages)
    issue_code(end_user)
    end_user_token_issue(end_user=end_user)
    end_user_tokens_revoke(end_user=end_user)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x-root-password-1")
    client.force_login(admin)
    for model in ("signupsettings", "signingkey", "signincode", "enduserauth", "oidcidentity", "pendingsignup",
                  "unsentemail"):
        assert client.get(f"/admin/signup/{model}/").status_code == 200, model
    key = SigningKey.objects.get()
    page = client.get(f"/admin/signup/signingkey/{key.pk}/change/").content.decode()
    assert key.kid in page
    assert key.private_key_encrypted not in page
    assert EndUserAuth.objects.get().token_version == 1
