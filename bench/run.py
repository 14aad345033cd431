#!/usr/bin/env python3
"""Benchmark of the hot path: ``POST /api/data`` against a no-op on the same stack.

One run: a separate PostgreSQL database (``<name>_bench``), migrations, a developer and a
project made with the management commands, end users made through the API, then gunicorn
(several workers, production-like settings) measured with wrk at each connection count:
the no-op ``POST /api/_bench/noop`` and the tracked ``POST /api/data`` alternately, with
throughput, p50/p99 and the ratio tracked/no-op. A last phase drives one end user far past
its tier limit at 64 connections and checks that exactly ``limit`` calls were counted and
answered 200 ("overshoot: 0"); the run exits non-zero if not.

See bench/README.md. Only the standard library and the project's own dependencies
(psycopg, redis) are used; wrk comes from the Debian package.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# The Django project to run; another checkout (e.g. a `git archive` snapshot) with BENCH_APP_DIR.
APP = Path(os.environ.get("BENCH_APP_DIR") or REPO).resolve()
LUA = BENCH_DIR / "post.lua"
RESULTS = BENCH_DIR / "results"

DEVELOPER_EMAIL = "bench@example.com"
UNLIMITED_TIER = "bench-unlimited"
CAPPED_TIER = "bench-capped"


class BenchError(Exception):
    """A setup or run failure: printed without a traceback, exit status 2."""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def env_default(name: str, default):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=float(env_default("BENCH_DURATION", 10)),
                   help="seconds per measured wrk run (env BENCH_DURATION, default 10)")
    p.add_argument("--warmup", type=float, default=float(env_default("BENCH_WARMUP", 3)),
                   help="seconds of warm-up per endpoint and connection count (env BENCH_WARMUP, default 3)")
    p.add_argument("--rounds", type=int, default=int(env_default("BENCH_ROUNDS", 1)),
                   help="alternations no-op/tracked per connection count; figures are averaged (default 1)")
    p.add_argument("--connections", default=env_default("BENCH_CONNECTIONS", "16,64"),
                   help="comma-separated wrk connection counts (env BENCH_CONNECTIONS, default 16,64)")
    p.add_argument("--workers", default=env_default("BENCH_WORKERS", str(2 * cores)),
                   help="gunicorn workers; a comma-separated list runs each in turn (env BENCH_WORKERS, default 2*nproc)")
    p.add_argument("--worker-class", default=env_default("BENCH_WORKER_CLASS", "sync"),
                   help="gunicorn worker class (env BENCH_WORKER_CLASS, default sync)")
    p.add_argument("--threads", type=int, default=int(env_default("BENCH_THREADS", 1)),
                   help="gunicorn threads per worker (gthread; env BENCH_THREADS, default 1)")
    p.add_argument("--users", type=int, default=int(env_default("BENCH_USERS", 1)),
                   help="end users the tracked load is spread over (env BENCH_USERS; default 1 = one hot row)")
    p.add_argument("--wrk-threads", type=int, default=int(env_default("BENCH_WRK_THREADS", min(cores, 4))),
                   help="wrk threads (env BENCH_WRK_THREADS, default min(nproc, 4))")
    p.add_argument("--overshoot-limit", type=int, default=int(env_default("BENCH_OVERSHOOT_LIMIT", 5000)),
                   help="tier limit L of the overshoot phase (env BENCH_OVERSHOOT_LIMIT, default 5000)")
    p.add_argument("--overshoot-connections", type=int, default=int(env_default("BENCH_OVERSHOOT_CONNECTIONS", 64)))
    p.add_argument("--quiet-wait", type=float, default=float(env_default("BENCH_QUIET_WAIT", 30)),
                   help="before each measurement wait up to this many seconds for the machine to be idle "
                        "(shared machines; 0: never wait; default 30)")
    p.add_argument("--quiet-threshold", type=float, default=float(env_default("BENCH_QUIET_THRESHOLD", 15)),
                   help="machine busy %% below which it counts as idle (default 15)")
    p.add_argument("--py-spy", action="store_true",
                   help="sample the gunicorn workers with py-spy during each measured run (py-spy must be installed); "
                        "collapsed stacks go to bench/results/pyspy-*.txt and a summary into the JSON")
    p.add_argument("--pin", action="store_true",
                   help="pin gunicorn and wrk to --app-cpus and the running PostgreSQL and Redis (every process and "
                        "thread) to --db-cpus with taskset, as on separate hosts; their affinity is restored at the end")
    p.add_argument("--app-cpus", default=env_default("BENCH_APP_CPUS", "0"), help="CPU list for gunicorn and wrk (--pin)")
    p.add_argument("--db-cpus", default=env_default("BENCH_DB_CPUS", "1"),
                   help="CPU list for PostgreSQL and Redis (--pin)")
    p.add_argument("--scale", default="",
                   help="comma-separated worker counts, e.g. 1,2,4,8: one configuration each (no overshoot phase) "
                        "and a table of the tracked call's throughput and p50/p99 per worker count")
    p.add_argument("--idempotency", action="store_true",
                   help="also measure POST /api/data with a new Idempotency-Key on every call")
    p.add_argument("--floor", action="store_true",
                   help="also measure POST /api/_bench/roundtrips: the no-op plus the tracked call's two round trips "
                        "(SELECT 1, Redis PING) and nothing else, to split the tracked call's extra worker CPU")
    p.add_argument("--skip-overshoot", action="store_true", help="measure only (no overshoot phase)")
    p.add_argument("--port", type=int, default=int(env_default("BENCH_PORT", 0)), help="default: a free port")
    p.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    p.add_argument("--fresh", action="store_true", help="drop and re-create the bench database first")
    p.add_argument("--output", default=env_default("BENCH_OUTPUT", str(RESULTS / "latest.json")))
    p.add_argument("--gunicorn-arg", action="append", default=[],
                   help="extra argument passed to gunicorn (repeatable), e.g. --gunicorn-arg=--preload")
    args = p.parse_args()
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    args.workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
    if args.scale:
        args.workers = [int(w) for w in str(args.scale).split(",") if w.strip()]
        args.skip_overshoot = True
    if args.pin:
        if not shutil.which("taskset"):
            p.error("--pin needs taskset (util-linux)")
        args.app_cpu_set, args.db_cpu_set = parse_cpus(args.app_cpus), parse_cpus(args.db_cpus)
        if not args.app_cpu_set or not args.db_cpu_set or args.app_cpu_set & args.db_cpu_set:
            p.error("--app-cpus and --db-cpus must be non-empty and disjoint")
    if not args.connections or not args.workers or args.users < 1 or args.duration <= 0:
        p.error("connections, workers, users and duration must be positive")
    if min(args.connections) < args.wrk_threads:
        args.wrk_threads = min(args.connections)
    return args


def parse_cpus(text: str) -> set[int]:
    """"0", "0,2" or "0-3" → a set of CPU numbers."""
    cpus: set[int] = set()
    for part in str(text).split(","):
        part = part.strip()
        if "-" in part:
            low, high = part.split("-", 1)
            cpus.update(range(int(low), int(high) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


# Commands started by the benchmark (gunicorn, wrk) are prefixed with this (--pin: taskset -c 0).
_CMD_PREFIX: list[str] = []


# --- pinning (--pin) ---------------------------------------------------------------------


class Pinning:
    """PostgreSQL and Redis, already running, pinned to other CPUs than the app for the run.

    Every thread of every ``postgres``/``redis-server`` process gets the new affinity (what
    ``taskset -a -p`` does; backends forked later inherit the postmaster's); ``restore`` gives
    each thread that still exists its original affinity back.
    """

    def __init__(self, db_cpus: set[int]) -> None:
        self.original: dict[int, set[int]] = {}
        self.pinned_processes = 0
        for pid in _pids_of(("postgres", "redis-server")):
            self.pinned_processes += 1
            for tid in _threads_of(pid):
                try:
                    self.original[tid] = os.sched_getaffinity(tid)
                    os.sched_setaffinity(tid, db_cpus)
                except OSError:  # gone meanwhile, or not ours to change
                    self.original.pop(tid, None)
        if not self.pinned_processes:
            raise BenchError("--pin: no postgres or redis-server process found on this machine to pin")

    def restore(self) -> None:
        for tid, cpus in self.original.items():
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass
        # Backends forked while pinned (and still alive) get the postmaster's original affinity too.
        allowed = set().union(*self.original.values()) if self.original else set(range(os.cpu_count() or 1))
        for pid in _pids_of(("postgres", "redis-server")):
            for tid in _threads_of(pid):
                if tid not in self.original:
                    try:
                        os.sched_setaffinity(tid, allowed)
                    except OSError:
                        pass
        log("restored the original CPU affinity of PostgreSQL and Redis")


def _pids_of(names: tuple[str, ...]) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        if os.path.basename(cmdline.split(" ", 1)[0]).startswith(names) or cmdline.startswith(names):
            pids.append(int(entry))
    return pids


def _threads_of(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


# --- database --------------------------------------------------------------------------


def bench_database_url(database_url: str) -> tuple[str, str]:
    """(bench URL, bench database name): the same server and role, database ``<name>_bench``."""
    override = os.environ.get("BENCH_DATABASE_URL")
    url = override or database_url
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        raise BenchError(f"DATABASE_URL must be a PostgreSQL URL (postgres://…), not {parts.scheme}://")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise BenchError("DATABASE_URL names no database")
    if override:
        return url, name
    bench_name = name if name.endswith("_bench") else f"{name}_bench"
    return urlunsplit(parts._replace(path="/" + bench_name)), bench_name


def pg_connect(url: str, dbname: str | None = None):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        dbname=dbname or unquote(parts.path.lstrip("/")),
        autocommit=True,
        connect_timeout=10,
    )


def _admin_connection(admin_url: str, bench_name: str):
    """A connection for CREATE/DROP DATABASE: to the database of DATABASE_URL (it exists and
    the role can reach it), or to "postgres" when that is the bench database itself."""
    if unquote(urlsplit(admin_url).path.lstrip("/")) != bench_name:
        try:
            return pg_connect(admin_url)
        except Exception:
            pass
    return pg_connect(admin_url, dbname="postgres")


def ensure_database(admin_url: str, bench_name: str, fresh: bool) -> None:
    from psycopg import sql

    with _admin_connection(admin_url, bench_name) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (bench_name,)).fetchone()
        if exists and fresh:
            log(f"dropping database {bench_name} (--fresh)")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(bench_name)))
            exists = None
        if not exists:
            log(f"creating database {bench_name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
        else:
            log(f"using existing database {bench_name}")


def drop_database(admin_url: str, bench_name: str) -> None:
    from psycopg import sql

    with _admin_connection(admin_url, bench_name) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_name)))
    log(f"dropped database {bench_name}")


# --- Django management commands ----------------------------------------------------------


def manage(app_env: dict, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "manage.py", *argv], cwd=APP, env=app_env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise BenchError(f"manage.py {' '.join(argv[:2])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


SETUP_SHELL = """
import json
from billing.models import Tier
from tenants.models import Project
p = Project.objects.get(public_id={project!r})
p.rate_limit_per_minute = 2_000_000_000
p.save(update_fields=["rate_limit_per_minute"])
Tier.objects.update_or_create(project=p, mode="test", slug={unlimited!r},
    defaults=dict(name="Bench unlimited", monthly_limit=None, order=90))
Tier.objects.update_or_create(project=p, mode="test", slug={capped!r},
    defaults=dict(name="Bench capped", monthly_limit={limit}, order=91))
print("BENCH_SETUP " + json.dumps({{"project_id": p.id, "rate_limit_per_minute": p.rate_limit_per_minute}}))
"""


def setup_project(app_env: dict, overshoot_limit: int) -> dict:
    """A developer (once), a new project for this run, tiers and a rate limit out of the way."""
    proc = manage(app_env, "createdeveloper", "--email", DEVELOPER_EMAIL,
                  "--password", secrets.token_urlsafe(24), check=False)
    if proc.returncode != 0 and "already exists" not in (proc.stderr + proc.stdout):
        raise BenchError(f"createdeveloper failed:\n{proc.stderr[-3000:]}")
    name = f"bench {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}"
    proc = manage(app_env, "createproject", "--developer", DEVELOPER_EMAIL, "--name", name, "--json")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("{")]
    if not lines:
        raise BenchError(f"createproject --json printed no JSON:\n{proc.stdout[-2000:]}")
    project = json.loads(lines[-1])
    code = SETUP_SHELL.format(project=project["projectId"], unlimited=UNLIMITED_TIER, capped=CAPPED_TIER,
                              limit=int(overshoot_limit))
    proc = manage(app_env, "shell", "-c", code)
    marker = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_SETUP ")]
    if not marker:
        raise BenchError(f"project setup printed nothing:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    project.update(json.loads(marker[-1].split(" ", 1)[1]))
    return project


# --- HTTP helpers ---------------------------------------------------------------------------


def http(method: str, url: str, *, headers: dict | None = None, body: dict | None = None,
         timeout: float = 10) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                          **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        status = exc.code
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, {"raw": raw[:500].decode(errors="replace")}


def create_customers(base: str, sk: str, plan: str, count: int, tag: str) -> list[str]:
    ids = []
    for i in range(count):
        status, body = http("POST", f"{base}/api/customers", headers={"Authorization": f"Bearer {sk}"},
                            body={"email": f"{tag}-{i}@bench.example.com", "plan": plan, "firstName": "Bench"})
        if status != 201:
            raise BenchError(f"POST /api/customers answered {status}: {body}")
        ids.append(body["customer"]["id"])
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- gunicorn -----------------------------------------------------------------------------------


class Server:
    """gunicorn in its own process group, stopped (TERM, then KILL) whatever happens."""

    def __init__(self, app_env: dict, workers: int, port: int, worker_class: str, threads: int,
                 extra: list[str], log_path: Path) -> None:
        self.port = port
        self.workers = workers
        self.base = f"http://127.0.0.1:{port}"
        help_text = subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True,
                                   text=True, env=app_env).stdout
        cmd = [sys.executable, "-m", "gunicorn", "dreamapi.wsgi", "-c", "python:dreamapi.gunicorn_conf",
               "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--worker-class", worker_class, "--log-level", "warning",
               "--timeout", "60", "--backlog", "2048"]
        if threads > 1:
            cmd += ["--threads", str(threads)]
        if "--no-control-socket" in help_text:  # gunicorn >= 24: one run must not collide with another's socket
            cmd.append("--no-control-socket")
        # No --access-logfile: gunicorn's access log is off by default; the app logs only warnings.
        cmd += extra
        cmd = [*_CMD_PREFIX, *cmd]
        self.cmd = cmd
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=APP, env=app_env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_healthy(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, body = http("GET", f"{self.base}/health", timeout=2)
                if status == 200:
                    return body
                last = (status, body)
            except OSError as exc:
                last = exc
            time.sleep(0.3)
        raise BenchError(f"/health did not answer 200 within {timeout:.0f}s (last: {last}); see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.log_file.close()


# --- CPU accounting ------------------------------------------------------------------------------
#
# Where the machine's CPU went during one wrk run, per request: the gunicorn workers, the
# PostgreSQL backends serving the bench database, the rest of PostgreSQL (WAL writer, ...),
# Redis, wrk itself, and everything else (other users of the machine). A process that
# exits during the run loses its share to "other".

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu() -> dict[int, tuple[str, float, float]]:
    """pid -> (identity, user seconds, system seconds)."""
    out: dict[int, tuple[str, float, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3); utime and stime are fields 14 and 15; pgrp is 5.
        out[int(entry)] = (f"{fields[2]}|{cmdline}", int(fields[11]) / _TICK, int(fields[12]) / _TICK)
    return out


def _machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / _TICK, sum(vals[:8]) / _TICK


class CpuAccount:
    def __init__(self, server_pgid: int, bench_db: str) -> None:
        self.pgid = server_pgid
        self.db = bench_db

    def _category(self, pid: int, info: str) -> str:
        pgrp, _, cmdline = info.partition("|")
        if pgrp == str(self.pgid):
            return "gunicorn"
        if cmdline.startswith("postgres"):
            # Backends serving the bench database; autovacuum and the WAL writer count as pg_other.
            serving = f" {self.db} " in f" {cmdline} " and "autovacuum" not in cmdline
            return "pg_bench_backends" if serving else "pg_other"
        if cmdline.startswith("redis-server"):
            return "redis"
        return "other"

    def start(self) -> None:
        import resource

        self.t0 = time.monotonic()
        self.procs0 = _proc_cpu()
        self.busy0 = _machine_busy()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children0 = ru.ru_utime + ru.ru_stime
        self.children0_sys = ru.ru_stime

    def stop(self, requests: int) -> dict:
        import resource

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = ru.ru_utime + ru.ru_stime - self.children0
        busy1 = _machine_busy()
        procs1 = _proc_cpu()
        wall = time.monotonic() - self.t0
        used: dict[str, float] = {"gunicorn": 0.0, "pg_bench_backends": 0.0, "pg_other": 0.0, "redis": 0.0}
        kernel: dict[str, float] = dict.fromkeys(used, 0.0)
        for pid, (info, user, system) in procs1.items():
            cat = self._category(pid, info)
            if cat == "other":
                continue
            before = self.procs0.get(pid)
            same = before is not None and before[0] == info
            used[cat] += user + system - (before[1] + before[2] if same else 0.0)
            kernel[cat] += system - (before[2] if same else 0.0)
        kernel["wrk"] = ru.ru_stime - self.children0_sys
        busy = busy1[0] - self.busy0[0]
        total = busy1[1] - self.busy0[1]
        used["wrk"] = wrk_cpu
        used["other"] = max(0.0, busy - sum(used.values()))
        n = max(1, requests)
        return {
            "wall_s": round(wall, 2),
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
            "cpu_s": {k: round(v, 2) for k, v in used.items()},
            "cpu_us_per_request": {k: round(v / n * 1e6, 1) for k, v in used.items()},
            # the part of the above spent in the kernel (system time), "other" excepted
            "kernel_us_per_request": {k: round(v / n * 1e6, 1) for k, v in kernel.items()},
        }


def wait_quiet(max_wait: float, threshold_pct: float) -> float:
    """Wait (up to max_wait s) until the machine is mostly idle before a measurement.

    Returns the busy percentage of the last one-second sample. On a shared machine other
    people's work steals CPU from the benchmark; the per-run CPU account shows how much.
    """
    deadline = time.monotonic() + max_wait
    warned = False
    while True:
        b0 = _machine_busy()
        time.sleep(1.0)
        b1 = _machine_busy()
        busy = 100 * (b1[0] - b0[0]) / max(1e-9, b1[1] - b0[1])
        if busy <= threshold_pct or time.monotonic() >= deadline:
            if busy > threshold_pct:
                log(f"machine still {busy:.0f}% busy before measuring (other processes); measuring anyway")
            return round(busy, 1)
        if not warned:
            log(f"machine {busy:.0f}% busy before measuring: waiting up to {max_wait:.0f}s for it to settle")
            warned = True


# --- py-spy -------------------------------------------------------------------------------------

# Inclusive share of on-CPU samples of the workers whose stack contains a matching frame.
PROFILE_PARTS = [
    ("whole Django request (WSGIHandler)", r"\(django/core/handlers/wsgi\.py"),
    ("  Django middleware before/after the view", r"^(?!.*rest_framework/views\.py).*django/utils/deprecation\.py"),
    ("  DRF dispatch (view + auth + render)", r"dispatch \(rest_framework/views\.py"),
    ("    key authentication", r"tenants/authentication\.py"),
    ("    rate limit (Redis)", r"check_rate_limit \("),
    ("      redis-py", r"\(redis/"),
    ("    usage_track (SQL upsert)", r"usage_track \("),
    ("      psycopg", r"\(psycopg/"),
    ("      Django DB layer (cursor wrappers, connection)", r"\(django/db/"),
    ("    response: render JSON", r"rendered_content|\(rest_framework/renderers\.py"),
    ("gunicorn outside the app (accept, parse, write)", r"^(?!.*django/core/handlers/wsgi\.py).*\(gunicorn/"),
]


def summarize_pyspy(path: Path) -> dict:
    stacks: list[tuple[str, int]] = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack, int(count)))
    total = sum(c for _, c in stacks) or 1
    parts = {}
    for name, pattern in PROFILE_PARTS:
        rx = re.compile(pattern)
        parts[name] = round(100 * sum(c for st, c in stacks if rx.search(st)) / total, 1)
    leaves: dict[str, int] = {}
    for st, c in stacks:
        leaf = st.rsplit(";", 1)[-1]
        leaves[leaf] = leaves.get(leaf, 0) + c
    top = sorted(leaves.items(), key=lambda kv: -kv[1])[:15]
    return {"samples": total, "inclusive_pct": parts,
            "top_self_pct": [(leaf, round(100 * c / total, 1)) for leaf, c in top]}


class PySpy:
    def __init__(self, server_pid: int, out: Path, duration: float) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(exe).exists() and not shutil.which(exe):
            raise BenchError("--py-spy: py-spy is not installed (pip install py-spy)")
        self.out = out
        self.proc = subprocess.Popen(
            # --gil: only samples that hold the GIL, i.e. running Python code; time in socket calls
            # (which release the GIL) is left out, as is being runnable but not scheduled.
            [exe, "record", "--pid", str(server_pid), "--subprocesses", "--nonblocking", "--gil", "--format", "raw",
             "--rate", "200", "--duration", str(max(1, int(duration) - 1)), "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def finish(self) -> dict | None:
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        if not self.out.exists():
            log(f"py-spy wrote nothing: {err.strip()[-300:]}")
            return None
        return summarize_pyspy(self.out)


# --- wrk ----------------------------------------------------------------------------------------

_WRK_JSON = re.compile(r"^BENCH_JSON (\{.*\})\s*$", re.M)
_current_wrk: subprocess.Popen | None = None


def run_wrk(url: str, *, connections: int, threads: int, duration: float, sk: str = "",
            users_file: str = "", account: CpuAccount | None = None, idempotency: bool = False) -> dict:
    global _current_wrk
    if account:
        account.start()
    env = {**os.environ, "BENCH_SK": sk, "BENCH_USERS_FILE": users_file, "BENCH_IDEMPOTENCY": "1" if idempotency else ""}
    cmd = [*_CMD_PREFIX, "wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
           "--timeout", "10s", "-s", str(LUA), url]
    _current_wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = _current_wrk.communicate()
    rc = _current_wrk.returncode
    _current_wrk = None
    match = _WRK_JSON.search(out)
    if rc != 0 or not match:
        raise BenchError(f"wrk failed ({rc}):\n{out[-2000:]}\n{err[-2000:]}")
    data = json.loads(match.group(1))
    if account:
        data["cpu"] = account.stop(data["requests"])
    secs = data["duration_us"] / 1e6
    errors = data["errors"]
    st = data["status"]
    data["rps"] = data["requests"] / secs if secs else 0.0
    data["non_2xx"] = data["requests"] - st["200"] - st["other_2xx"]
    data["socket_errors"] = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    data["p50_ms"] = data["latency_us"]["p50"] / 1000
    data["p99_ms"] = data["latency_us"]["p99"] / 1000
    return data


def kill_wrk() -> None:
    if _current_wrk is not None and _current_wrk.poll() is None:
        _current_wrk.kill()


# --- machine and versions -------------------------------------------------------------------------


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    except (OSError, AttributeError):
        mem_kb = 0
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gb": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "loadavg_at_start": list(os.getloadavg())}


def versions(app_env: dict, bench_url: str) -> dict:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as pkg_version

    out = {"python": platform.python_version()}
    for pkg in ("django", "djangorestframework", "gunicorn", "psycopg", "redis"):
        try:
            out[pkg] = pkg_version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    try:
        with pg_connect(bench_url) as conn:
            out["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # informative only
        out["postgresql"] = f"? ({exc})"
    if app_env.get("REDIS_URL"):
        try:
            import redis

            out["redis_server"] = redis.Redis.from_url(app_env["REDIS_URL"]).info("server")["redis_version"]
        except Exception as exc:  # informative only
            out["redis_server"] = f"? ({exc})"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    out["wrk"] = ((wrk.stdout or wrk.stderr).splitlines() or ["?"])[0].split(" [")[0].removeprefix("wrk ")
    if APP == REPO:
        git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        out["commit"] = git.stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True)
        out["worktree_modified"] = bool(dirty.stdout.strip())
    else:  # a snapshot (see README): its commit, if the snapshot recorded one
        marker = APP / ".bench-commit"
        out["commit"] = marker.read_text().strip() if marker.exists() else None
        out["app_dir"] = str(APP)
    return out


# --- phases ------------------------------------------------------------------------------------------


def measure(server: Server, args, sk: str, users_file: str, account: CpuAccount) -> list[dict]:
    noop = f"{server.base}/api/_bench/noop"
    data = f"{server.base}/api/data"
    rows = []
    for c in args.connections:
        threads = min(args.wrk_threads, c)
        if args.warmup > 0:
            log(f"c={c}: warm-up {args.warmup:.0f}s no-op + {args.warmup:.0f}s tracked")
            run_wrk(noop, connections=c, threads=threads, duration=args.warmup, sk=sk, users_file=users_file)
            run_wrk(data, connections=c, threads=threads, duration=args.warmup, sk=sk, users_file=users_file)
        kinds = [("noop", noop, "POST /api/_bench/noop"), ("data", data, "POST /api/data")]
        if args.floor:
            kinds.append(("floor", f"{server.base}/api/_bench/roundtrips", "floor (SELECT 1+PING)"))
        if args.idempotency:
            kinds.append(("data_key", data, "POST /api/data +key"))
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in kinds}
        for r in range(args.rounds):
            # All get the same request (key and X-User-Id headers); the no-op ignores them.
            for name, url, _ in kinds:
                busy_before = wait_quiet(args.quiet_wait, args.quiet_threshold) if args.quiet_wait > 0 else None
                spy = None
                if args.py_spy:
                    spy = PySpy(server.proc.pid, RESULTS / f"pyspy-w{server.workers}-c{c}-{name}-r{r + 1}.txt",
                                args.duration)
                res = run_wrk(url, connections=c, threads=threads, duration=args.duration, sk=sk,
                              users_file=users_file, account=account, idempotency=name == "data_key")
                res["busy_before_pct"] = busy_before
                if spy:
                    res["py_spy"] = spy.finish()
                runs[name].append(res)
                cpu = res["cpu"]
                log(f"c={c} round {r + 1}/{args.rounds} {name:8}: {res['rps']:8.1f} req/s  "
                    f"p50 {res['p50_ms']:6.2f} ms  p99 {res['p99_ms']:7.2f} ms  non-2xx {res['non_2xx']}  "
                    f"socket errors {res['socket_errors']}  machine busy {cpu['machine_busy_pct']}%  cpu µs/req "
                    + " ".join(f"{k}={v:.0f}" for k, v in cpu["cpu_us_per_request"].items()))
        for name, _, endpoint in kinds:
            rs = runs[name]
            rows.append({
                "connections": c,
                "endpoint": endpoint,
                "kind": name,
                "rps": statistics.fmean(r["rps"] for r in rs),
                "p50_ms": statistics.fmean(r["p50_ms"] for r in rs),
                "p99_ms": statistics.fmean(r["p99_ms"] for r in rs),
                "requests": sum(r["requests"] for r in rs),
                "non_2xx": sum(r["non_2xx"] for r in rs),
                "socket_errors": sum(r["socket_errors"] for r in rs),
                "machine_busy_pct": statistics.fmean(r["cpu"]["machine_busy_pct"] or 0 for r in rs),
                "cpu_us_per_request": {k: round(statistics.fmean(r["cpu"]["cpu_us_per_request"][k] for r in rs), 1)
                                       for k in rs[0]["cpu"]["cpu_us_per_request"]},
                "kernel_us_per_request": {k: round(statistics.fmean(r["cpu"]["kernel_us_per_request"][k] for r in rs), 1)
                                          for k in rs[0]["cpu"]["kernel_us_per_request"]},
                "py_spy": rs[0].get("py_spy"),
                # Other processes took more than 10 % as much CPU as the benchmark itself.
                "disturbed": any(r["cpu"]["cpu_us_per_request"]["other"] >
                                 0.1 * sum(v for k, v in r["cpu"]["cpu_us_per_request"].items() if k != "other")
                                 for r in rs),
                "rounds": rs,
            })
    return rows


def read_counter(bench_url: str, user_public_id: str) -> int:
    with pg_connect(bench_url) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(uc.count), 0) FROM usage_usagecounter uc "
            "JOIN tenants_enduser eu ON eu.id = uc.end_user_id WHERE eu.public_id = %s",
            (user_public_id,),
        ).fetchone()
    return int(row[0])


def overshoot(server: Server, args, sk: str, bench_url: str, tag: str, data_rps: float | None) -> dict:
    limit = args.overshoot_limit
    user = create_customers(server.base, sk, CAPPED_TIER, 1, f"{tag}-capped")[0]
    with tempfile.NamedTemporaryFile("w", suffix=".users", delete=False) as f:
        f.write(user + "\n")
        users_file = f.name
    # Send about twice the limit: long enough that the limit is reached well inside the run.
    rate = data_rps or 500.0
    duration = min(300.0, max(5.0, math.ceil(2.2 * limit / rate)))
    c = args.overshoot_connections
    log(f"overshoot: end user {user} with limit {limit}, {c} connections for {duration:.0f}s")
    try:
        res = run_wrk(f"{server.base}/api/data", connections=c, threads=min(args.wrk_threads, c), duration=duration,
                      sk=sk, users_file=users_file)
    finally:
        os.unlink(users_file)
    time.sleep(0.5)  # let any request cut off by wrk's stop finish on the server
    counter = read_counter(bench_url, user)
    status, usage = http("GET", f"{server.base}/api/usage", headers={"Authorization": f"Bearer {sk}",
                                                                    "X-User-Id": user})
    st = res["status"]
    result = {
        "end_user": user,
        "limit": limit,
        "connections": c,
        "duration_s": duration,
        "requests_sent": res["requests"],
        "rps": res["rps"],
        "status_counts": st,
        "socket_errors": res["socket_errors"],
        "db_counter": counter,
        "api_usage_count": usage.get("usageCount") if status == 200 else None,
        "overshoot": counter - limit,
        "p50_ms": res["p50_ms"],
        "p99_ms": res["p99_ms"],
    }
    problems = []
    if res["requests"] <= limit:
        problems.append(f"inconclusive: only {res['requests']} requests were sent for a limit of {limit}")
    if counter != limit:
        problems.append(f"database counter is {counter}, expected exactly {limit}")
    if st["200"] != limit:
        problems.append(f"{st['200']} responses were 200, expected exactly {limit}")
    if result["api_usage_count"] != limit:
        problems.append(f"GET /api/usage says {result['api_usage_count']}, expected {limit}")
    unexpected = st["other_2xx"] + st["429"] + st["other_4xx"] + st["5xx"] + st["other"]
    if unexpected:
        problems.append(f"{unexpected} responses were neither 200 nor 403: {st}")
    if st["403"] != res["requests"] - limit:
        problems.append(f"{st['403']} refusals (403), expected {res['requests'] - limit}")
    if res["socket_errors"]:
        problems.append(f"{res['socket_errors']} socket errors/timeouts: responses may be missing from the count")
    result["problems"] = problems
    result["ok"] = not problems
    return result


# --- report ---------------------------------------------------------------------------------------


def print_table(config: dict) -> None:
    rows = config["rows"]
    print()
    print(f"gunicorn: {config['workers']} workers ({config['worker_class']}"
          f"{', %d threads' % config['threads'] if config['threads'] > 1 else ''}), "
          f"{config['users']} end user(s), wrk -t{config['wrk_threads']}, "
          f"{config['duration_s']:.0f}s x {config['rounds']} round(s)")
    head = f"{'conns':>5}  {'endpoint':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['connections']:>5}  {r['endpoint']:<22} {r['rps']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
              f"{r['non_2xx']:>8} {r['socket_errors']:>8}" + ("  * disturbed" if r.get("disturbed") else ""))
    if any(r.get("disturbed") for r in rows):
        print("* other processes used more than 10 % as much CPU as the benchmark during that run: not a clean figure")
    print()
    print("CPU per request, µs (total/kernel), from /proc over each measured run; other = the rest of the machine")
    cats = ["gunicorn", "pg_bench_backends", "pg_other", "redis", "wrk"]
    head2 = (f"{'conns':>5}  {'endpoint':<22} {'gunicorn':>10} {'pg serving':>10} {'pg other':>10} {'redis':>10} "
             f"{'wrk':>10} {'other':>6} {'sum':>6} {'busy%':>6}")
    print(head2)
    print("-" * len(head2))
    for r in rows:
        cpu, ker = r["cpu_us_per_request"], r["kernel_us_per_request"]
        cells = " ".join(f"{f'{cpu[k]:.0f}/{ker[k]:.0f}':>10}" for k in cats)
        ours = sum(cpu[k] for k in cats)
        print(f"{r['connections']:>5}  {r['endpoint']:<22} {cells} {cpu['other']:>6.0f} {ours:>6.0f} "
              f"{r['machine_busy_pct']:>6.1f}")
    spied = [r for r in rows if r.get("py_spy")]
    if spied:
        print()
        print("py-spy (--gil) share of the workers' Python samples, %")
        names = list(spied[0]["py_spy"]["inclusive_pct"])
        labels = [f"c{r['connections']} {r['kind']}" for r in spied]
        print(f"{'':<52}" + "".join(f"{label:>11}" for label in labels))
        for name in names:
            print(f"{name:<52}" + "".join(f"{r['py_spy']['inclusive_pct'][name]:>11.1f}" for r in spied))
    print()
    for c, ratio in config["ratios"].items():
        verdict = "meets" if ratio >= 0.8 else "below"
        noisy = any(r.get("disturbed") for r in rows if r["connections"] == c)
        print(f"ratio tracked/no-op at {c:>3} connections: {ratio:.3f}  ({verdict} the 0.8 target)"
              + ("  * disturbed run" if noisy else ""))
    for floor in (r for r in rows if r["kind"] == "floor"):
        same = {r["kind"]: r["cpu_us_per_request"]["gunicorn"] for r in rows if r["connections"] == floor["connections"]}
        print(f"worker CPU µs/call at {floor['connections']:>3} connections: tracked - no-op {same['data'] - same['noop']:+.0f}"
              f" = the two round trips alone (floor - no-op) {same['floor'] - same['noop']:+.0f}"
              f" + everything else (tracked - floor) {same['data'] - same['floor']:+.0f}; "
              f"floor/no-op throughput {floor['rps'] / next(r['rps'] for r in rows if r['connections'] == floor['connections'] and r['kind'] == 'noop'):.3f}")
    for keyed in (r for r in rows if r["kind"] == "data_key"):
        plain = next(r for r in rows if r["connections"] == keyed["connections"] and r["kind"] == "data")
        extra = {k: keyed["cpu_us_per_request"][k] - plain["cpu_us_per_request"][k]
                 for k in ("gunicorn", "pg_bench_backends", "redis")}
        print(f"with Idempotency-Key at {keyed['connections']:>3} connections: {keyed['rps']:.1f} req/s, "
              f"{keyed['rps'] / plain['rps'] if plain['rps'] else 0:.3f} of the plain tracked call; CPU µs/call more: "
              + ", ".join(f"{k} {v:+.0f}" for k, v in extra.items()))
    ov = config.get("overshoot")
    if ov:
        st = ov["status_counts"]
        print(f"overshoot phase: limit {ov['limit']}, {ov['requests_sent']} requests at {ov['connections']} connections "
              f"({ov['rps']:.0f} req/s): 200={st['200']} 403={st['403']} other={ov['requests_sent'] - st['200'] - st['403']}, "
              f"db counter={ov['db_counter']}, /api/usage={ov['api_usage_count']}")
        if ov["ok"]:
            print("overshoot: 0")
        else:
            print(f"OVERSHOOT CHECK FAILED (counter - limit = {ov['overshoot']}):")
            for p in ov["problems"]:
                print(f"  - {p}")


def write_json(path: str, doc: dict) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(out)


# --- main --------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    state: dict = {}
    try:
        return _main(args, state)
    finally:
        if args.drop and state.get("bench_name"):
            try:
                drop_database(state["database_url"], state["bench_name"])
            except Exception as exc:  # report, but keep the original outcome
                print(f"bench: could not drop {state['bench_name']}: {exc}", file=sys.stderr)


def _main(args, state: dict) -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise BenchError("set DATABASE_URL to a PostgreSQL URL, e.g. postgres://user:pass@127.0.0.1:5432/dreamapi")
    if not shutil.which("wrk"):
        raise BenchError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    bench_url, bench_name = bench_database_url(database_url)
    redis_url = os.environ.get("REDIS_URL", "")

    app_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    app_env.update({
        "DATABASE_URL": bench_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "dreamapi.settings",
        # Production-like, but not "production": no HTTPS redirect and no required secrets.
        "DREAMAPI_ENV": os.environ.get("BENCH_DREAMAPI_ENV", "bench"),
        "DEBUG": "0",
        "BENCH_ENDPOINTS": "1",
        # Only warnings and errors are logged; gunicorn's access log stays off.
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    if not redis_url:
        app_env.pop("REDIS_URL")
        log("REDIS_URL not set: rate limits use each worker's in-process cache (not like production)")

    machine = machine_info()
    log(f"machine: {machine['nproc']} CPUs ({machine['cpu']}), load {machine['loadavg_at_start']}")
    ensure_database(database_url, bench_name, args.fresh)
    state.update(database_url=database_url, bench_name=bench_name)
    log("migrating")
    manage(app_env, "migrate", "--noinput", "-v0")
    project = setup_project(app_env, args.overshoot_limit)
    sk = project["keys"]["test"]["secretKey"]
    log(f"project {project['projectId']} (rate limit {project['rate_limit_per_minute']}/min, "
        f"tiers {UNLIMITED_TIER} unlimited and {CAPPED_TIER} limit {args.overshoot_limit})")

    RESULTS.mkdir(parents=True, exist_ok=True)
    gunicorn_log = RESULTS / "gunicorn.log"
    gunicorn_log.write_bytes(b"")  # this run's server output only
    doc = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "versions": versions(app_env, bench_url),
        "settings": {k: app_env.get(k) for k in ("DREAMAPI_ENV", "DEBUG", "BENCH_ENDPOINTS", "LOG_LEVEL",
                                                  "API_KEY_CACHE_SECONDS", "DB_CONN_MAX_AGE")},
        "database": bench_name,
        "redis": bool(redis_url),
        "project": project["projectId"],
        "noop": "POST /api/_bench/noop: a plain Django view, the same lean stack as POST /api/data (see README)",
        "pinned": {"app_cpus": sorted(args.app_cpu_set), "db_cpus": sorted(args.db_cpu_set)} if args.pin else None,
        "configs": [],
    }
    pinning = None
    if args.pin:
        _CMD_PREFIX[:] = ["taskset", "-c", ",".join(map(str, sorted(args.app_cpu_set)))]
        pinning = Pinning(args.db_cpu_set)
        log(f"pinned: gunicorn and wrk to CPU {args.app_cpus}; PostgreSQL and Redis ({pinning.pinned_processes} "
            f"processes, {len(pinning.original)} threads) to CPU {args.db_cpus}")
    try:
        failed = _run_configs(args, doc, app_env, sk, bench_url, gunicorn_log)
    finally:
        if pinning is not None:
            pinning.restore()

    doc["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    doc["overshoot_ok"] = not failed if not args.skip_overshoot else None
    write_json(args.output, doc)
    if args.scale:
        print_scale(doc["configs"])
    v = doc["versions"]
    print(f"machine: {machine['nproc']} x {machine['cpu']}, {machine['mem_gb']} GB, load at start "
          f"{', '.join('%.2f' % x for x in machine['loadavg_at_start'])}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val))
    print(f"results: {args.output}")
    if failed:
        print("FAILED: the overshoot check did not hold (see above)", file=sys.stderr)
        return 1
    return 0


def _run_configs(args, doc: dict, app_env: dict, sk: str, bench_url: str, gunicorn_log: Path) -> bool:
    """One gunicorn configuration per worker count; True when an overshoot check failed."""
    failed = False
    tag = f"r{int(time.time())}"
    for workers in args.workers:
        port = args.port or free_port()
        log(f"starting gunicorn: {workers} workers ({args.worker_class}) on 127.0.0.1:{port}")
        server = Server(app_env, workers, port, args.worker_class, args.threads, args.gunicorn_arg, gunicorn_log)
        try:
            server.wait_healthy()
            users = create_customers(server.base, sk, UNLIMITED_TIER, args.users, f"{tag}-w{workers}")
            with tempfile.NamedTemporaryFile("w", suffix=".users", delete=False) as f:
                f.write("\n".join(users) + "\n")
                users_file = f.name
            try:
                # Check the tracked call once before loading it.
                status, body = http("POST", f"{server.base}/api/data",
                                    headers={"Authorization": f"Bearer {sk}", "X-User-Id": users[0]})
                if status != 200:
                    raise BenchError(f"POST /api/data answered {status}: {body}")
                rows = measure(server, args, sk, users_file, CpuAccount(server.proc.pid, doc["database"]))
            finally:
                os.unlink(users_file)
            ratios = {}
            for c in args.connections:
                noop = next(r for r in rows if r["connections"] == c and r["kind"] == "noop")
                data = next(r for r in rows if r["connections"] == c and r["kind"] == "data")
                ratios[c] = data["rps"] / noop["rps"] if noop["rps"] else 0.0
            config = {
                "workers": workers, "worker_class": args.worker_class, "threads": args.threads,
                "users": args.users, "wrk_threads": args.wrk_threads, "duration_s": args.duration,
                "rounds": args.rounds, "gunicorn_cmd": " ".join(server.cmd),
                "rows": rows, "ratios": ratios,
            }
            if not args.skip_overshoot:
                data_rps = next((r["rps"] for r in rows if r["kind"] == "data"
                                 and r["connections"] == args.overshoot_connections), None)
                config["overshoot"] = overshoot(server, args, sk, bench_url, f"{tag}-w{workers}", data_rps)
                failed = failed or not config["overshoot"]["ok"]
            config["loadavg_after"] = list(os.getloadavg())
            doc["configs"].append(config)
            print_table(config)
            print()
        finally:
            server.stop()
        write_json(args.output, doc)  # after each configuration, so a later failure keeps the figures
    return failed


def print_scale(configs: list[dict]) -> None:
    """--scale: the tracked call per worker count (and the no-op beside it)."""
    print()
    print("scaling: POST /api/data per gunicorn worker count")
    head = (f"{'workers':>7} {'conns':>5} {'tracked req/s':>13} {'p50 ms':>8} {'p99 ms':>8} {'no-op req/s':>11} "
            f"{'ratio':>6} {'gunicorn µs/call':>16}")
    print(head)
    print("-" * len(head))
    for config in configs:
        for c, ratio in config["ratios"].items():
            data = next(r for r in config["rows"] if r["connections"] == c and r["kind"] == "data")
            noop = next(r for r in config["rows"] if r["connections"] == c and r["kind"] == "noop")
            print(f"{config['workers']:>7} {c:>5} {data['rps']:>13.1f} {data['p50_ms']:>8.2f} {data['p99_ms']:>8.2f} "
                  f"{noop['rps']:>11.1f} {ratio:>6.3f} {data['cpu_us_per_request']['gunicorn']:>16.0f}"
                  + ("  * disturbed" if data.get("disturbed") else ""))


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    # Explicit handlers: a background job may start with SIGINT ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    try:
        sys.exit(main())
    except BenchError as exc:
        kill_wrk()
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        kill_wrk()
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
