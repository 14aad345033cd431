"""No-op endpoints on the same stack as the API (same middleware, no database, no key, no
Redis): the baselines ``bench/`` compares ``POST /api/data`` against. Routed only when
``BENCH_ENDPOINTS=1``.

``POST /api/data`` answers a plain call without DRF's Request/Response machinery
(``usage.apis.track_usage``), so its baseline ``/api/_bench/noop`` does too: a Django view
answering JSON rendered by the same renderer into the same kind of response. ``/api/_bench/noop-drf``
is the no-op through DRF (``APIView``, content negotiation, ``Response``), what the baseline was
before: the difference between the two is the cost of DRF's per-request machinery.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreamapi.errors import json_bytes


@csrf_exempt
def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json_bytes({"success": True}), content_type="application/json")


class NoopDrfApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        return Response({"success": True})

    get = post
