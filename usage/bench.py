"""A no-op endpoint on the same stack as the API (same middleware, DRF, JSON renderer,
no database, no key): the baseline ``bench/`` compares ``POST /api/data`` against.
Routed only when ``BENCH_ENDPOINTS=1``."""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class NoopApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        return Response({"success": True})

    get = post
