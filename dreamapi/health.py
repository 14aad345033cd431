"""``GET /health``: liveness plus the state of the database, cache and broker."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def _check(fn) -> dict:
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # a health check reports any failure; it must never raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("health:ping", "1", timeout=10)
    if cache.get("health:ping") != "1":
        raise RuntimeError("cache did not return what was written")


def _broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL.startswith("memory"):
        return
    from dreamapi.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    # Only the database is essential: without the cache rate limits fail open, and without
    # the broker webhooks are stored and processed later.
    healthy = checks["database"]["ok"]
    status = "ok" if all(c["ok"] for c in checks.values()) else ("degraded" if healthy else "down")
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)
