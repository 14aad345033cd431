from rest_framework.request import Request
from rest_framework.response import Response

from tenants.api_base import PublicProjectAPIView

from .models import Tier


def tier_json(tier: Tier) -> dict:
    return {
        "id": tier.slug,
        "name": tier.name,
        "price": tier.price_cents,
        "currency": tier.currency,
        "interval": tier.interval,
        "limit": tier.monthly_limit,
        "features": tier.features,
        "popular": tier.popular,
        "priceId": tier.stripe_price_id or None,
    }


class TierListApi(PublicProjectAPIView):
    """``GET /api/tiers``: the project's tiers in the key's mode (publishable or secret key)."""

    def get(self, request: Request) -> Response:
        return Response({"tiers": [tier_json(t) for t in self.tiers()]})
