"""The production server with its checked-in config: an oversized request under /api/ gets our JSON.

gunicorn answers requests over its own limits itself, in HTML. dreamapi/gunicorn_conf.py sets
them above the app's (4,096 bytes of path + query, 8,190 bytes per header line), so a request
between the two reaches RequestGuardMiddleware. Beyond gunicorn's limits HTML remains (as the
README says); the last test pins down that boundary.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_url() -> str:
    """DATABASE_URL pointing at the database this test session uses (test_…)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return ""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def gunicorn():
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dreamapi.settings_test", "DATABASE_URL": _test_database_url()}
    if not env["DATABASE_URL"]:
        env.pop("DATABASE_URL")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dreamapi.wsgi", "-c", "python:dreamapi.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/customers", timeout=10)  # the worker imports the app on its first request
                break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_a_5000_byte_query_string_under_api_is_our_json_414(gunicorn):
    response = requests.get(f"{gunicorn}/api/customers?search={'a' * 5000}", timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == "uri_too_long"


def test_a_9000_byte_header_under_api_is_our_json_431(gunicorn):
    response = requests.get(f"{gunicorn}/api/customers", headers={"X-User-Id": "x" * 9000}, timeout=10)
    assert response.status_code == 431
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == "header_too_large"


def test_beyond_gunicorns_own_limits_its_html_remains(gunicorn):
    """What the README documents: over 8,190 bytes of request line or 16,384 of a header, gunicorn answers."""
    line = requests.get(f"{gunicorn}/api/customers?search={'a' * 8200}", timeout=10)
    header = requests.get(f"{gunicorn}/api/customers", headers={"X-User-Id": "x" * 17000}, timeout=10)
    assert (line.status_code, header.status_code) == (414, 431)
    assert line.headers["Content-Type"] == header.headers["Content-Type"] == "text/html"
