"""Create the platform plan (a $15/month Price) and dj-stripe's webhook endpoint.

With real Stripe, create the endpoint in the Django admin (dj-stripe → Webhook endpoints:
it registers it with Stripe) and set PLATFORM_PLAN_PRICE_ID instead. This command is for
the local stand-in, which does not implement Stripe's webhook endpoint API: the endpoint
row is written locally and the stand-in is told where to send the platform's events.
"""

import json
import uuid
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from billing import stripe_api
from billing.services.platform_plan import PLAN_LOOKUP_KEY


class Command(BaseCommand):
    help = "Create the platform plan Price and dj-stripe's webhook endpoint (local stand-in only)."

    def add_arguments(self, parser):
        parser.add_argument("--amount", type=int, default=1500, help="Price in cents (default 1500 = $15).")
        parser.add_argument("--site-url", default=None, help="Where the stand-in reaches this app.")

    def handle(self, *args, amount: int, site_url: str | None, **options):
        if not settings.STRIPE_USES_STANDIN:
            raise CommandError("Real Stripe keys are set: create the webhook endpoint in the admin and set "
                               "PLATFORM_PLAN_PRICE_ID instead.")
        from djstripe.models import Price, WebhookEndpoint

        price = Price.objects.filter(lookup_key=PLAN_LOOKUP_KEY, active=True, livemode=False).first()
        if price is None:
            price_id = stripe_api.platform_price_create(amount_cents=amount, lookup_key=PLAN_LOOKUP_KEY)
            price = Price.sync_from_stripe_data(stripe_api.platform_price_retrieve(price_id=price_id))
        endpoint = WebhookEndpoint.objects.filter(livemode=False).first()
        if endpoint is None:
            endpoint_uuid = uuid.uuid4()
            endpoint = WebhookEndpoint.objects.create(
                id=f"we_standin_{endpoint_uuid.hex[:16]}", livemode=False, api_version=stripe_api.API_VERSION,
                enabled_events=["*"], secret=f"whsec_standin_platform_{endpoint_uuid.hex}", status="enabled",
                url="", djstripe_uuid=endpoint_uuid, metadata={},
            )
        base = (site_url or settings.SITE_URL).rstrip("/")
        url = base + reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=url)
        body = json.dumps({"platform_webhook_url": url, "platform_webhook_secret": endpoint.secret}).encode()
        request = Request(f"{settings.STRIPE_API_BASE}/_standin/config", data=body,
                          headers={"Content-Type": "application/json"}, method="POST")
        with urlopen(request, timeout=5):  # noqa: S310 (the local stand-in)
            pass
        self.stdout.write(f"Platform plan {price.id} ({amount} cents/month); events go to {url}")
