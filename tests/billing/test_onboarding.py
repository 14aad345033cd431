"""Connect onboarding: after the OAuth exchange the account is read, and while it can't take
payments (its owner skipped Stripe's onboarding) the project page says checkouts will fail."""

from __future__ import annotations

import pytest

from billing.models import StripeConnection, StripeEvent
from billing.selectors import project_billing_summary

from .conftest import connect_stripe, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WARNING = "checkout will fail until you finish Stripe onboarding"


def project_page(client, tenant) -> str:
    return client.get(f"/dashboard/projects/{tenant.project.public_id}/?mode=test").content.decode()


def test_an_account_that_skipped_onboarding_is_flagged_until_stripe_says_it_is_done(client, alice, bob, standin):
    client.force_login(alice.user)
    account = connect_stripe(client, alice.project, standin, skip_onboarding="1")
    connection = StripeConnection.objects.get(account_id=account)
    assert (connection.charges_enabled, connection.details_submitted) == (False, False)
    assert connection.account_checked_at is not None
    summary = project_billing_summary(project=alice.project, mode="test")
    assert summary["onboarding_incomplete"] is True and summary["connection"] == connection
    assert WARNING in project_page(client, alice)

    standin.account_owner(account, onboarding_complete=True)  # Stripe sends account.updated
    wait_until(lambda: StripeConnection.objects.get(pk=connection.pk).charges_enabled)
    assert StripeConnection.objects.get(pk=connection.pk).details_submitted is True
    assert StripeEvent.objects.get(type="account.updated").status == "processed"
    assert WARNING not in project_page(client, alice)
    assert project_billing_summary(project=alice.project, mode="test")["onboarding_incomplete"] is False

    client.force_login(bob.user)  # another developer sees nothing of it
    assert client.get(f"/dashboard/projects/{alice.project.public_id}/?mode=test").status_code == 404


def test_a_fully_onboarded_account_shows_no_warning(client, alice, standin):
    client.force_login(alice.user)
    account = connect_stripe(client, alice.project, standin)
    connection = StripeConnection.objects.get(account_id=account)
    assert (connection.charges_enabled, connection.details_submitted) == (True, True)
    assert WARNING not in project_page(client, alice)
