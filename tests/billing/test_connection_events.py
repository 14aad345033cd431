"""Connect events beyond subscriptions: the account's owner revoking our access, a customer deleted
in Stripe, a paused and resumed subscription, a payment that needs the customer to authenticate."""

from __future__ import annotations

import pytest

from billing import stripe_api
from billing.models import BillingCustomer, StripeConnection, StripeEvent, Subscription
from tenants.models import EndUser

from .conftest import pay, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def plan_of(user) -> str:
    return EndUser.objects.select_related("tier").get(pk=user.pk).tier.slug


def checkout(tenant, user):
    return tenant.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", {"tier": "pro"}, format="json")


def subscribed(tenant, email):
    user = tenant.end_user(email)
    assert pay(checkout(tenant, user).json()["url"]).status_code == 303
    wait_until(lambda: plan_of(user) == "pro")
    return user


def test_an_owner_revoking_access_ends_the_connection_and_checkouts_say_so(client, shop, standin):
    user = shop.end_user("after@example.com")
    standin.account_owner(shop.account, "/deauthorize")
    wait_until(lambda: not StripeConnection.objects.filter(disconnected_at__isnull=True).exists())
    connection = StripeConnection.objects.get(account_id=shop.account)
    assert connection.deauthorized_at is not None
    assert shop.project.tiers.get(mode="test", slug="pro").stripe_price_id == ""
    response = checkout(shop, user)
    assert response.status_code == 409 and response.json()["code"] == "stripe_not_connected"
    page = client.get(f"/dashboard/projects/{shop.project.public_id}/?mode=test").content.decode()
    assert f"Stripe account <code>{shop.account}</code> was disconnected" in page
    assert "Connect Stripe (test)" in page
    event = StripeEvent.objects.get(type="account.application.deauthorized")
    assert event.status == "processed" and "revoked" in event.note and event.project_id == shop.project.id


def test_before_the_revocation_event_arrives_a_checkout_is_409_not_502(shop, standin):
    standin.hold_webhooks(True)
    standin.account_owner(shop.account, "/deauthorize")
    response = checkout(shop, shop.end_user("early@example.com"))
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "stripe_not_connected" and shop.account not in body["message"]


def test_a_customer_deleted_in_stripe_is_forgotten_and_the_next_checkout_works(shop, standin):
    user = subscribed(shop, "deleted@example.com")
    old = BillingCustomer.objects.get(end_user=user).stripe_customer_id
    stripe_api._client("test").v1.customers.delete(old, options={"stripe_account": shop.account})
    # Deleting the customer cancels its subscription: the end user is back on the free tier.
    wait_until(lambda: BillingCustomer.objects.get(end_user=user).deleted_at is not None)
    wait_until(lambda: plan_of(user) == "free")
    assert StripeEvent.objects.get(type="customer.deleted").status == "processed"
    portal = shop.api(HTTP_X_USER_ID=user.public_id).post("/api/customer-portal", {}, format="json")
    assert portal.status_code == 409 and portal.json()["code"] == "no_billing_account"
    response = checkout(shop, user)
    assert response.status_code == 200, response.content
    new = BillingCustomer.objects.get(end_user=user)
    assert new.stripe_customer_id != old and new.deleted_at is None
    assert pay(response.json()["url"]).status_code == 303
    wait_until(lambda: plan_of(user) == "pro")


def test_a_customer_deleted_before_its_event_arrives_is_recreated_when_stripe_says_it_is_missing(shop, standin):
    user = shop.end_user("missing@example.com")
    assert checkout(shop, user).status_code == 200  # creates the customer
    old = BillingCustomer.objects.get(end_user=user).stripe_customer_id
    standin.hold_webhooks(True)  # the customer.deleted event does not arrive
    stripe_api._client("test").v1.customers.delete(old, options={"stripe_account": shop.account})
    response = checkout(shop, user)
    assert response.status_code == 200, response.content
    assert BillingCustomer.objects.get(end_user=user).stripe_customer_id not in ("", old)
    standin.hold_webhooks(False)
    assert pay(response.json()["url"]).status_code == 303
    wait_until(lambda: plan_of(user) == "pro")


def test_a_paused_subscription_drops_the_plan_and_resuming_restores_it(shop, standin):
    user = subscribed(shop, "paused@example.com")
    subscription = Subscription.objects.get(end_user=user)
    standin.pause_subscription(subscription.stripe_subscription_id)
    wait_until(lambda: plan_of(user) == "free")
    assert Subscription.objects.get(pk=subscription.pk).status == "paused"
    stripe_api._client("test").v1.subscriptions.resume(subscription.stripe_subscription_id,
                                                       options={"stripe_account": shop.account})
    wait_until(lambda: plan_of(user) == "pro")
    assert standin.wait_for_webhooks(10)
    handled = StripeEvent.objects.filter(type__in=["customer.subscription.paused", "customer.subscription.resumed"])
    assert sorted(handled.values_list("type", "status")) == [("customer.subscription.paused", "processed"),
                                                             ("customer.subscription.resumed", "processed")]
    # Both were applied (the subscription re-read from Stripe), not passed over as unknown types.
    assert all(note.startswith(f"subscription {subscription.stripe_subscription_id}: ")
               for note in handled.values_list("note", flat=True))


def test_a_payment_needing_authentication_is_explained_on_the_events_page(client, shop, standin):
    user = subscribed(shop, "sca@example.com")
    subscription = Subscription.objects.get(end_user=user)
    standin.fail_payment(subscription.stripe_subscription_id, authentication_required=True)
    wait_until(lambda: StripeEvent.objects.filter(type="invoice.payment_action_required", status="processed").exists())
    event = StripeEvent.objects.get(type="invoice.payment_action_required")
    assert "Action needed" in event.note and "authenticate" in event.note
    assert Subscription.objects.get(pk=subscription.pk).status == "past_due"
    assert plan_of(user) == "pro"  # still theirs while Stripe waits for the customer
    page = client.get(f"/dashboard/projects/{shop.project.public_id}/stripe/events/?mode=test").content.decode()
    assert "invoice.payment_action_required" in page and "Action needed: the customer" in page


def test_a_revocation_older_than_a_new_connection_leaves_the_new_one_alone(shop):
    from django.utils import timezone

    from billing.services.connect import stripe_connection_deauthorized

    connection = StripeConnection.objects.get(disconnected_at__isnull=True)
    long_ago = connection.connected_at - timezone.timedelta(minutes=5)
    assert stripe_connection_deauthorized(account_id=shop.account, at=long_ago) == 0
    assert StripeConnection.objects.filter(pk=connection.pk, disconnected_at__isnull=True).exists()


def test_an_invoice_event_is_read_by_current_fields_only(shop):
    """Since API 2025-03-31 an invoice names its subscription under parent.subscription_details;
    the removed top-level ``subscription`` is not read (it is absent from real events)."""
    from billing.services.events import stripe_event_process

    legacy = {"id": "evt_legacy", "object": "event", "type": "invoice.paid", "account": shop.account,
              "livemode": False, "data": {"object": {"id": "in_1", "object": "invoice", "subscription": "sub_old"}}}
    event = StripeEvent.objects.create(stripe_event_id="evt_legacy", type="invoice.paid", account_id=shop.account,
                                       payload=legacy)
    stripe_event_process(event_pk=event.pk)
    event.refresh_from_db()
    assert (event.status, event.note) == ("processed", "no subscription in the event")


def test_disconnecting_from_the_dashboard_is_not_shown_as_a_revocation(client, shop, standin):
    client.post(f"/dashboard/projects/{shop.project.public_id}/stripe/disconnect/", {"mode": "test"})
    assert standin.wait_for_webhooks(10)
    wait_until(lambda: StripeEvent.objects.filter(type="account.application.deauthorized")
               .exclude(status="pending").exists())
    connection = StripeConnection.objects.get(account_id=shop.account)
    assert connection.disconnected_at is not None and connection.deauthorized_at is None
    page = client.get(f"/dashboard/projects/{shop.project.public_id}/?mode=test").content.decode()
    assert "was disconnected" not in page and "Connect Stripe (test)" in page
