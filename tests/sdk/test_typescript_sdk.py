"""The TypeScript SDK's Node test suite (sdk/typescript/test) against a live dream-api, one
pytest test per test file, plus its type check and its generated types against the live schema."""

from __future__ import annotations

import json
import subprocess

import pytest

from .conftest import TS_SDK, run_node_tests, subprocess_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIVE_FILES = sorted(p.name for p in (TS_SDK / "test").glob("*.test.mjs") if p.name != "client.test.mjs")


def test_the_client_behaviour_suite_passes(node, ts_sdk_built):
    run_node_tests(node, [TS_SDK / "test" / "client.test.mjs"], {}, cwd=TS_SDK)


@pytest.mark.parametrize("test_file", LIVE_FILES)
def test_the_live_suite_passes(test_file, node, ts_sdk_built, live_project):
    run_node_tests(node, [TS_SDK / "test" / test_file], live_project.env, cwd=TS_SDK)


def test_the_sdk_type_checks_and_covers_every_schema_field(node, ts_sdk_built):
    result = subprocess.run([node, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], cwd=TS_SDK,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_types_match_the_live_schema(node, ts_sdk_built, live_server):
    result = subprocess.run([node, "scripts/generate-types.mjs", "--check", "--url",
                             f"{live_server.url}/api/schema/?format=json"], cwd=TS_SDK, env=subprocess_env({}),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_npm_pack_ships_the_built_package_only(ts_sdk_built, tmp_path):
    result = subprocess.run(["npm", "pack", "--dry-run", "--json"], cwd=TS_SDK, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    files = {f["path"] for f in json.loads(result.stdout)[0]["files"]}
    assert {"package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.cjs", "dist/index.d.ts",
            "dist/dream-api.global.js"} <= files
    assert not any(f.startswith(("src/", "test/", "node_modules/")) for f in files), files
