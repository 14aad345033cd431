"""Schemathesis against a live server: every operation in /api/schema/, bounded and seeded.

The checks: no 5xx, only documented statuses, only documented content types, and every
response body valid against its documented schema. Operations added later are picked up
from the schema without touching this file. A failure prints Schemathesis' report (with a
curl command per failing request) and the seed; replay it with SCHEMATHESIS_SEED=<seed>.
Bounds: SCHEMATHESIS_MAX_EXAMPLES per operation (default 40), SCHEMATHESIS_MAX_TIME seconds
for the whole run (default 150). Runs on PostgreSQL only (CI; skipped in the SQLite quick loop).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from signup.tokens import end_user_token_issue
from tenants import keycache
from tenants.models import Project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def schemathesis_command() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    return [str(exe) if exe.exists() else shutil.which("schemathesis") or "schemathesis", "--no-color"]


def config_file(tmp_path: Path, tenant) -> Path:
    """Known-good values that Schemathesis mixes into what it generates, so requests also reach
    the code behind the key and end-user checks (not only their 4xx answers). The end user the
    customer paths name is another than the one the headers and token name: DELETE removes it."""
    end_user = tenant.end_user("fuzz@example.com", external_id="fuzz-user")
    path_user = tenant.end_user("fuzz-path@example.com", external_id="fuzz-path-user")
    token = end_user_token_issue(end_user=end_user).token
    config = tmp_path / "schemathesis.toml"
    config.write_text(f"""
[dictionaries.path_users]
values = ["{path_user.external_id}", "{path_user.public_id}"]
[dictionaries.end_users]
values = ["{end_user.external_id}", "{end_user.public_id}"]
[dictionaries.tokens]
values = ["{token}"]
[dictionaries.modes]
values = ["test"]
[dictionaries.tiers]
values = ["free", "pro"]

[parameters]
"header.X-User-Id" = {{ dictionary = "end_users", probability = 0.8 }}
"path.customer_id" = {{ dictionary = "path_users", probability = 0.5 }}
"header.X-User-Token" = {{ dictionary = "tokens", probability = 0.9 }}
"header.X-Clerk-Token" = {{ dictionary = "tokens", probability = 0.9 }}
"header.X-End-User-Token" = {{ dictionary = "tokens", probability = 0.9 }}
"header.X-Env" = {{ dictionary = "modes", probability = 0.95 }}
"body.tier" = {{ dictionary = "tiers", probability = 0.7 }}
""")
    return config


def test_every_documented_operation_holds_its_contract_under_fuzzing(alice, live_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL and Redis, as in CI (set DATABASE_URL and REDIS_URL)")
    seed = os.environ.get("SCHEMATHESIS_SEED", "20261129")
    Project.objects.filter(pk=alice.project.pk).update(rate_limit_per_minute=100_000)
    keycache.clear()
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=1000)
    command = [
        *schemathesis_command(), "--config-file", str(config_file(tmp_path, alice)),
        "run", f"{live_server.url}/api/schema/",
        "--url", live_server.url,
        "--checks", CHECKS,
        "--seed", seed,
        "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40"),
        "--max-time", os.environ.get("SCHEMATHESIS_MAX_TIME", "150"),
        "--request-timeout", "10",
        "--header", f"Authorization: Bearer {alice.sk}",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    # Run from tmp_path: Schemathesis keeps a cache folder (.schemathesis/) in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"})
    output = result.stdout + result.stderr
    print(output)  # shown with -s, and in the report of a failure
    assert result.returncode == 0, f"Schemathesis failed (seed {seed}; replay with SCHEMATHESIS_SEED={seed}):\n{output}"
