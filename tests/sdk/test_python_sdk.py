"""The Python SDK (sdk/python) built into a wheel, installed into a directory of its own, and its
test suite run against a live dream-api in a separate interpreter.

Why a separate interpreter: the SDK's import name is ``dreamapi``, like this repository's Django
project package. In this process ``dreamapi`` is the Django project; in the subprocess only the
installed wheel is on the path (the working directory is sdk/python/tests, and the repository
root is not on ``sys.path``), so the suite tests exactly what ``pip install`` would give a user.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import PY_SDK, REPO, run_python_suite, subprocess_env

pytestmark = [pytest.mark.slow]

SUITE_FILES = sorted(p.name for p in (PY_SDK / "tests").glob("test_*.py"))
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([PYTHON, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                             "--disable-pip-version-check", "-w", str(out), str(PY_SDK)],
                            capture_output=True, text=True, timeout=300, env=subprocess_env({}))
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("dreamapi-*.whl")
    return built


@pytest.fixture(scope="session")
def installed_sdk(wheel, tmp_path_factory) -> str:
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run([PYTHON, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
                             "--target", str(site), str(wheel)], capture_output=True, text=True, timeout=300,
                            env=subprocess_env({}))
    assert result.returncode == 0, result.stdout + result.stderr
    return str(site)


def test_the_wheel_holds_the_typed_package_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "dreamapi/py.typed" in names
    assert "dreamapi/integrations/fastapi.py" in names
    assert not any(n.startswith("tests/") or "/tests/" in n for n in names), names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: httpx" in text and "Version: 1.0.0" in text


def test_the_sdk_imports_as_itself_in_the_subprocess(installed_sdk):
    result = subprocess.run([PYTHON, "-c", "import dreamapi, sys; print(dreamapi.__file__); print(dreamapi.__version__)"],
                            cwd=PY_SDK / "tests", env=subprocess_env({"PYTHONPATH": installed_sdk}),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    path, version = result.stdout.split()
    assert path.startswith(installed_sdk) and version == "1.0.0"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("test_file", SUITE_FILES)
def test_the_sdk_suite_passes_against_a_live_server(test_file, installed_sdk, live_project):
    run_python_suite(installed_sdk, test_file, live_project.env)


def test_the_sdk_is_mypy_strict_clean(tmp_path):
    result = subprocess.run([PYTHON, "-m", "mypy", "--strict", "--config-file", str(PY_SDK / "pyproject.toml"),
                             "--cache-dir", str(tmp_path / "mypy"), str(PY_SDK / "src" / "dreamapi")],
                            cwd=PY_SDK, capture_output=True, text=True, timeout=600, env=subprocess_env({}))
    assert result.returncode == 0, result.stdout + result.stderr
