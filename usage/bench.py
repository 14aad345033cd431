"""No-op endpoints on the same stack as the API (same middleware, no database, no key, no
Redis): the baselines ``bench/`` compares ``POST /api/data`` against. Routed only when
``BENCH_ENDPOINTS=1``.

``POST /api/data`` answers a plain call without DRF's Request/Response machinery
(``usage.apis.track_usage``), so its baseline ``/api/_bench/noop`` does too: a Django view
answering JSON rendered by the same renderer into the same kind of response. ``/api/_bench/noop-drf``
is the no-op through DRF (``APIView``, content negotiation, ``Response``), what the baseline was
before: the difference between the two is the cost of DRF's per-request machinery.

``/api/_bench/roundtrips`` is the no-op plus the two round trips ``POST /api/data`` keeps, and
nothing else: a ``SELECT 1`` the way the upsert is sent and a Redis ``PING`` on the rate
limit's connection. Between it and the no-op is what the round trips themselves cost the
worker; between it and ``POST /api/data``, everything else the tracked call does.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreamapi.errors import json_bytes
from dreamapi.ratelimit import round_trip

from .services import _pg_row


@csrf_exempt
def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json_bytes({"success": True}), content_type="application/json")


@csrf_exempt
def roundtrips(request: HttpRequest) -> HttpResponse:
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        _pg_row(db, "SELECT 1", {})
    else:
        with db.cursor() as cursor:
            cursor.execute("SELECT 1")
    round_trip()
    return HttpResponse(json_bytes({"success": True}), content_type="application/json")


class NoopDrfApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        return Response({"success": True})

    get = post
