"""A live dream-api for the SDKs' own test suites: pytest-django's live server (PostgreSQL and
Redis in CI), a developer with a project and keys, Stripe (the stand-in) connected with a paid
tier, an allowlisted app origin, a confirmed end user for the hosted sign-in, and an outsider
project. The suites themselves run in subprocesses (node --test, a separate pytest) with all of
that in their environment, exactly as they would run against ``./dev run``.

Every test of a suite must run here: a test the suite skips (it skips only without a server or
keys) fails its pytest test, so a regression can never hide as a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from billing.services.tiers import tier_create
from signup.models import SignupSettings
from tests.billing.conftest import connect_stripe, standin, standin_server  # noqa: F401  (fixtures)
from tests.conftest import Tenant, make_tenant
from usage.features import FeatureInput, tier_features_set

REPO = Path(__file__).resolve().parents[2]
TS_SDK = REPO / "sdk" / "typescript"
PY_SDK = REPO / "sdk" / "python"
ORIGINAL_SDK = REPO.parent.parent / "shared" / "reference" / "original" / "dream-sdk"
APP_ORIGIN = "https://app.example.test"
PAID_TIER = "pro"
SMALL_TIER = "tiny"
USER_EMAIL = "signed.in@example.com"
USER_PASSWORD = "violet-harbour-lantern-42"


@dataclass
class LiveProject:
    url: str
    tenant: Tenant
    outsider: Tenant
    env: dict[str, str]


def require_tool(condition: bool, message: str) -> None:
    """Missing tools skip locally but fail CI (where .ci/run installs them)."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    require_tool(path is not None, "node is not installed (apt-get install nodejs npm)")
    return path


@pytest.fixture(scope="session")
def ts_sdk_built(node) -> Path:
    """The TypeScript package built from the current sources (npm ci must have run)."""
    require_tool((TS_SDK / "node_modules" / "esbuild").is_dir(),
                 "the TypeScript SDK's dev dependencies are not installed: run `npm ci --prefix sdk/typescript`")
    subprocess.run([node, "scripts/build.mjs"], cwd=TS_SDK, check=True, capture_output=True, text=True, timeout=300)
    return TS_SDK / "dist"


@pytest.fixture
def live_project(live_server, standin, client, settings) -> LiveProject:  # noqa: F811 (standin is a fixture)
    settings.SITE_URL = live_server.url
    alice = make_tenant("alice.sdk@example.com", "Alice's SDK app")
    bob = make_tenant("bob.sdk@example.com", "Bob's app")
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug=PAID_TIER, name="Pro", price_cents=1500, monthly_limit=500)
    tier_create(project=alice.project, mode="test", slug=SMALL_TIER, name="Tiny", price_cents=0, monthly_limit=2)
    # Features and meters: "exports" metered (3 on free, 10 on pro), "sso" on/off (pro only).
    tiers = alice.project.tiers.filter(mode="test")
    tier_features_set(tier=tiers.get(slug="free"), features=[FeatureInput(key="exports", kind="metered", limit=3),
                                                             FeatureInput(key="sso", kind="boolean", enabled=False)])
    tier_features_set(tier=tiers.get(slug=PAID_TIER), features=[
        FeatureInput(key="exports", kind="metered", limit=10), FeatureInput(key="sso", kind="boolean", enabled=True)])
    alice.project.allowed_origins = [APP_ORIGIN]
    alice.project.save(update_fields=["allowed_origins"])
    SignupSettings.objects.update_or_create(project=alice.project, defaults={"redirect_origins": [APP_ORIGIN]})
    alice.end_user(email=USER_EMAIL, password=USER_PASSWORD, email_verified=True)
    env = {
        "DREAMAPI_BASE_URL": live_server.url,
        "DREAMAPI_SECRET_KEY": alice.sk,
        "DREAMAPI_PUBLISHABLE_KEY": alice.pk,
        "DREAMAPI_PROJECT_ID": alice.project.public_id,
        "DREAMAPI_PAID_TIER": PAID_TIER,
        "DREAMAPI_SMALL_TIER": SMALL_TIER,
        "DREAMAPI_APP_ORIGIN": APP_ORIGIN,
        "DREAMAPI_USER_EMAIL": USER_EMAIL,
        "DREAMAPI_USER_PASSWORD": USER_PASSWORD,
        "DREAMAPI_OTHER_SECRET_KEY": bob.sk,
        "DREAMAPI_OTHER_PUBLISHABLE_KEY": bob.pk,
        "DREAMAPI_METERED_FEATURE": "exports",
        "DREAMAPI_SWITCH_FEATURE": "sso",
    }
    return LiveProject(url=live_server.url, tenant=alice, outsider=bob, env=env)


def subprocess_env(extra: dict[str, str]) -> dict[str, str]:
    """The machine's environment without this process's Django settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(extra)
    return env


# --- node --test ------------------------------------------------------------------------------

_TAP_COUNT = re.compile(r"^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$", re.M)
_TAP_SKIP = re.compile(r"^\s*ok \d+ - (.+?) # SKIP ?(.*)$", re.M)


def run_node_tests(node: str, files: list[Path], env: dict[str, str], cwd: Path, timeout: int = 300) -> None:
    """Runs ``node --test``: passes when every test passed, none failed, skipped or was left to do."""
    result = subprocess.run([node, "--test", "--test-reporter=tap", "--test-concurrency=1", *map(str, files)],
                            cwd=cwd, env=subprocess_env(env), capture_output=True, text=True, timeout=timeout)
    counts = {name: int(value) for name, value in _TAP_COUNT.findall(result.stdout)}
    output = f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
    assert result.returncode == 0 and counts.get("fail", 1) == 0 and counts.get("cancelled", 0) == 0, output
    skips = sorted({f"{name}: {reason}" for name, reason in _TAP_SKIP.findall(result.stdout)})
    assert not skips and not counts.get("skipped") and not counts.get("todo"), f"skipped: {skips}\n{output}"
    assert counts.get("pass", 0) > 0, output


# --- a separate pytest for the Python SDK ----------------------------------------------------

_PYTEST_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")
_PYTEST_SKIP = re.compile(r"^SKIPPED \[\d+\] (.+)$", re.M)


def run_python_suite(python_path: str, target: str, env: dict[str, str], timeout: int = 300) -> None:
    """Runs the Python SDK's pytest suite in its own interpreter, where ``dreamapi`` is the SDK
    (from ``python_path``) and not this repository's Django project."""
    command = [str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", target, "-q", "-rsx", "-p", "no:cacheprovider",
               "-p", "no:django", "--rootdir", str(PY_SDK), "-c", str(PY_SDK / "pyproject.toml")]
    result = subprocess.run(command, cwd=PY_SDK / "tests", env=subprocess_env({**env, "PYTHONPATH": python_path}),
                            capture_output=True, text=True, timeout=timeout)
    output = f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    counts = {kind.rstrip("s"): int(n) for n, kind in _PYTEST_SUMMARY.findall(tail)}
    assert result.returncode == 0 and not counts.get("failed") and not counts.get("error"), output
    skips = sorted(set(_PYTEST_SKIP.findall(result.stdout)))
    assert not skips and not counts.get("skipped") and not counts.get("xfailed"), f"skipped: {skips}\n{output}"
    assert counts.get("passed"), output
