#!/usr/bin/env python3
"""Where the time of one ``POST /api/data`` goes, in one process, without an HTTP server.

Calls the WSGI application directly (same middleware, same DRF stack, the real database and
Redis) many times and reports, per request: wall time and CPU time of this process for the
no-op and the tracked call, then each piece of the tracked call on its own (key resolution,
the Redis rate-limit round trip, the SQL upsert through Django and through bare psycopg, the
response), and optionally a cProfile of the tracked call.

    DATABASE_URL=postgres://…/dreamapi_bench REDIS_URL=redis://127.0.0.1:6379/3 \\
        python bench/profile_hotpath.py [-n 3000] [--cprofile 25]

Use the bench database (bench/run.py creates and migrates it): this script adds a project
and an end user to it. The difference between wall and CPU time is waiting, mostly for
PostgreSQL and Redis, which on a small machine also compete for the same cores.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

APP = Path(os.environ.get("BENCH_APP_DIR") or Path(__file__).resolve().parent.parent).resolve()
sys.path.insert(0, str(APP))
os.chdir(APP)  # Celery's app set-up puts the working directory first on sys.path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dreamapi.settings")
os.environ.setdefault("DREAMAPI_ENV", "bench")
os.environ["DEBUG"] = "0"
os.environ["BENCH_ENDPOINTS"] = "1"
os.environ.setdefault("LOG_LEVEL", "WARNING")


_TICK = os.sysconf("SC_CLK_TCK")
_other_pids: dict[str, int] = {}  # "pg" -> this process's PostgreSQL backend, "redis" -> redis-server


def _pid_cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except OSError:  # not on this machine
        return 0.0


def timeit(fn, n: int) -> tuple[float, float, float, float]:
    """Per call, median of 5 batches: wall µs, this process's CPU µs, and the CPU µs of the
    PostgreSQL backend and of redis-server serving it (0 when they run elsewhere)."""
    batch = max(1, n // 5)
    walls, cpus, pgs, rds = [], [], [], []
    for _ in range(5):
        p0, r0 = _pid_cpu(_other_pids.get("pg")), _pid_cpu(_other_pids.get("redis"))
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(batch):
            fn()
        walls.append((time.perf_counter() - w0) / batch * 1e6)
        cpus.append((time.process_time() - c0) / batch * 1e6)
        pgs.append((_pid_cpu(_other_pids.get("pg")) - p0) / batch * 1e6)
        rds.append((_pid_cpu(_other_pids.get("redis")) - r0) / batch * 1e6)
    return statistics.median(walls), statistics.median(cpus), statistics.median(pgs), statistics.median(rds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3000, help="calls per measurement")
    ap.add_argument("--cprofile", type=int, default=0, metavar="LINES", help="print a cProfile of the tracked call")
    ap.add_argument("--diff", type=int, default=0, metavar="LINES",
                    help="cProfile both requests and print where the tracked one spends more CPU (self time per "
                         "function and per package; cProfile inflates absolute figures several times, compare shares)")
    ap.add_argument("--diff-base", choices=("noop", "floor"), default="noop",
                    help="what --diff compares the tracked call with: the no-op, or the no-op plus the two round "
                         "trips (/api/_bench/roundtrips), which leaves only what the tracked call does besides them")
    args = ap.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.utils import timezone

    from billing.models import Tier
    from dreamapi.ratelimit import rate_limit_hit
    from tenants import keycache
    from tenants.authentication import resolve_key
    from tenants.models import Project
    from tenants.services import developer_create, end_user_create, project_create
    from usage import services as usage_services

    email = "bench-profile@example.com"
    user = get_user_model().objects.filter(email=email).first() or developer_create(email=email, password="x" * 20)
    project, keys = project_create(platform=user.platform, name=f"profile {time.time():.0f}")
    Project.objects.filter(pk=project.pk).update(rate_limit_per_minute=2_000_000_000)
    Tier.objects.create(project=project, mode="test", slug="unl", name="unl", monthly_limit=None)
    end_user = end_user_create(project_id=project.id, mode="test", email="p@bench.example.com", plan="unl")
    sk = keys["test"]["secretKey"]
    keycache.clear()

    app = WSGIHandler()

    def environ(path: str) -> dict:
        return {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "CONTENT_LENGTH": "0", "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {sk}", "HTTP_X_USER_ID": end_user.public_id, "HTTP_HOST": "127.0.0.1",
        }

    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def call(path: str):
        def run():
            body = app(environ(path), start_response)
            b"".join(body)
            if hasattr(body, "close"):
                body.close()
        return run

    noop, data = call("/api/_bench/noop"), call("/api/data")
    floor = call("/api/_bench/roundtrips")  # the no-op plus the tracked call's two round trips
    noop_drf = call("/api/_bench/noop-drf")
    for _ in range(200):  # warm: imports, key cache, DB and Redis connections
        noop(); data(); noop_drf()
    assert statuses[-1].startswith("200") and statuses[-2].startswith("200"), statuses[-2:]

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        _other_pids["pg"] = cur.fetchone()[0]
    redis_client = None
    if settings.REDIS_URL:
        import redis

        redis_client = redis.Redis.from_url(settings.REDIS_URL)
        _other_pids["redis"] = int(redis_client.info("server")["process_id"])

    ctx = resolve_key(sk)
    scope = f"u:{ctx.project_id}:{ctx.mode}:{end_user.public_id}"
    # The statement usage_track sends (newer versions pick it per call, e.g. an async-commit variant).
    sql = usage_services._track_sql() if hasattr(usage_services, "_track_sql") else usage_services._TRACK_SQL
    plain_sql = usage_services._TRACK_SQL
    db_options = settings.DATABASES["default"].get("OPTIONS", {})
    print(f"database OPTIONS: server_side_binding={db_options.get('server_side_binding')} "
          f"prepare_threshold={db_options.get('prepare_threshold')}; "
          f"usage_track sends {'the plain statement' if sql == plain_sql else 'a variant of the statement'}")

    def raw_django():
        params = usage_services._sql_params(project_id=ctx.project_id, mode="test",
                                            user_public_id=end_user.public_id, now=timezone.now())
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchone()

    import psycopg

    pg = connection.connection  # the psycopg connection under Django's wrapper
    params = usage_services._sql_params(project_id=ctx.project_id, mode="test", user_public_id=end_user.public_id,
                                        now=timezone.now())
    async_sql = getattr(usage_services, "_TRACK_SQL_ASYNC_COMMIT", None)

    def raw_psycopg_client():
        # Django's default: parameters interpolated client-side; PostgreSQL parses and plans every call
        with psycopg.ClientCursor(pg) as cur:
            cur.execute(plain_sql, params)
            cur.fetchone()

    # Django's default prepare_threshold=None disables prepared statements even for
    # prepare=True; with a threshold, a server-side-binding cursor prepares the statement
    # once per connection and then only binds and executes it.
    if pg.prepare_threshold is None:
        pg.prepare_threshold = 5

    def raw_psycopg_prepared():
        with psycopg.Cursor(pg) as cur:
            cur.execute(plain_sql, params, prepare=True)
            cur.fetchone()

    def raw_psycopg_prepared_async_commit():
        with psycopg.Cursor(pg) as cur:
            if async_sql:  # the project's own variant (set_config in the statement)
                cur.execute(async_sql, params, prepare=True)
                cur.fetchone()
            else:
                pg.execute("BEGIN")
                pg.execute("SET LOCAL synchronous_commit = off")
                cur.execute(plain_sql, params, prepare=True)
                cur.fetchone()
                pg.execute("COMMIT")

    def select1():
        with psycopg.Cursor(pg) as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

    def redis_ping():
        redis_client.ping()

    rows = [
        ("POST /api/_bench/noop-drf (whole request, through DRF)", noop_drf),
        ("POST /api/_bench/noop (whole request)", noop),
        ("POST /api/_bench/roundtrips (no-op + SELECT 1 + PING)", floor),
        ("POST /api/data (whole request)", data),
        ("  resolve_key (cache hit: regex + sha256)", lambda: resolve_key(sk)),
        ("  rate_limit_hit (one Redis round trip)", lambda: rate_limit_hit(scope=scope, limit=10**9)),
        ("  usage_track (upsert via Django cursor)", lambda: usage_services.usage_track(
            project_id=ctx.project_id, mode="test", user_public_id=end_user.public_id)),
        ("  its SQL via Django's cursor, params prebuilt", raw_django),
        ("  durable SQL, bare psycopg, client-side binding", raw_psycopg_client),
        ("  durable SQL, bare psycopg, prepared", raw_psycopg_prepared),
        ("  synchronous_commit=off SQL, bare psycopg, prepared", raw_psycopg_prepared_async_commit),
        ("  SELECT 1, bare psycopg (round trip floor)", select1),
    ]
    if settings.REDIS_URL:
        rows.append(("  Redis PING (round trip floor)", redis_ping))
    def show(name, fn):
        wall, cpu, pg_cpu, redis_cpu = timeit(fn, args.n)
        print(f"{name:<58} {wall:>8.0f} {cpu:>8.0f} {pg_cpu:>8.0f} {redis_cpu:>8.0f}")

    print("per call, µs: wall time; CPU of this process (the worker); CPU of its PostgreSQL backend; of redis-server")
    print(f"{'what':<58} {'wall':>8} {'worker':>8} {'pg':>8} {'redis':>8}")
    for name, fn in rows:
        show(name, fn)

    # The tracked request with its two round trips replaced by constants: what is left is
    # the framework around them (authentication, headers, the response).
    # (Stubbed where the view looks them up: tenants.api_base imports rate_limit_hit by name.)
    import tenants.api_base
    import usage.apis

    real_track, real_hit = usage.apis.usage_track, tenants.api_base.rate_limit_hit
    fixed_usage = real_track(project_id=ctx.project_id, mode="test", user_public_id=end_user.public_id)
    fixed_hit = real_hit(scope=scope, limit=10**9)
    try:
        tenants.api_base.rate_limit_hit = lambda **kw: fixed_hit
        show("POST /api/data, rate limit stubbed", data)
        usage.apis.usage_track = lambda **kw: fixed_usage
        show("POST /api/data, rate limit and upsert stubbed", data)
    finally:
        usage.apis.usage_track, tenants.api_base.rate_limit_hit = real_track, real_hit

    if args.cprofile:
        import cProfile
        import pstats

        # CPU time, not wall time: waiting for PostgreSQL/Redis would otherwise dominate.
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(args.n):
            data()
        prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(args.cprofile)
        stats.sort_stats("cumulative").print_stats(args.cprofile)
        print(out.getvalue())

    if args.diff:
        print_diff(floor if args.diff_base == "floor" else noop, data, args.n, args.diff)


def print_diff(noop, data, n: int, lines: int) -> None:
    import cProfile
    import pstats

    def profile(fn) -> dict[str, tuple[float, int]]:
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(n):
            fn()
        prof.disable()
        out = {}
        for (filename, line, func), (_, ncalls, tottime, _, _) in pstats.Stats(prof).stats.items():
            name = filename.split("site-packages/")[-1].replace(str(APP) + "/", "")
            out[f"{name}:{line}({func})"] = (tottime, ncalls)
        return out

    a, b = profile(noop), profile(data)
    total_a, total_b = sum(v[0] for v in a.values()), sum(v[0] for v in b.values())
    print(f"\ncProfile (CPU clock), self time per request: baseline {total_a / n * 1e6:.0f} µs, tracked "
          f"{total_b / n * 1e6:.0f} µs (profiling inflates these; the difference is what tracking adds)")
    extra = total_b - total_a
    by_pkg_a: dict[str, float] = {}
    by_pkg_b: dict[str, float] = {}
    for src, dst in ((a, by_pkg_a), (b, by_pkg_b)):
        for key, (t, _) in src.items():
            path = key.split(":", 1)[0]
            pkg = path.split("/", 1)[0] if "/" in path else ("builtins" if path == "~" else path)
            dst[pkg] = dst.get(pkg, 0.0) + t
    print("extra self time by package (share of the difference):")
    for pkg in sorted(set(by_pkg_a) | set(by_pkg_b), key=lambda k: by_pkg_a.get(k, 0) - by_pkg_b.get(k, 0))[:12]:
        d = by_pkg_b.get(pkg, 0.0) - by_pkg_a.get(pkg, 0.0)
        print(f"  {100 * d / extra:6.1f} %  {pkg}")
    print("functions with the most extra self time (share of the difference; calls per request tracked vs no-op):")
    diffs = sorted(((b.get(k, (0.0, 0))[0] - a.get(k, (0.0, 0))[0], k) for k in set(a) | set(b)), reverse=True)
    for d, key in diffs[:lines]:
        print(f"  {100 * d / extra:6.1f} %  {b.get(key, (0, 0))[1] / n:5.1f} vs {a.get(key, (0, 0))[1] / n:5.1f}  {key}")


if __name__ == "__main__":
    main()
