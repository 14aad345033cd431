"""The Connect webhook endpoint. (The billing pages of the dashboard live in ``dashboard``.)"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .stripe_api import StripeError


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """``POST /webhook/stripe``: verify, store once, enqueue, answer 200 at once."""
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return JsonResponse({"error": "Bad request", "message": "Missing Stripe-Signature header.",
                             "code": "invalid_signature"}, status=400)
    try:
        event, created = services.stripe_event_receive(payload=request.body, signature=signature)
    except StripeError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status_code)
    return JsonResponse({"received": True, "id": event.stripe_event_id, "duplicate": not created})
