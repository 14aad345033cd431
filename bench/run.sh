#!/usr/bin/env bash
# Benchmark POST /api/data against a no-op on the same stack. See bench/README.md.
#   DATABASE_URL=postgres://user:pass@127.0.0.1:5432/dreamapi [REDIS_URL=redis://127.0.0.1:6379/3] bash bench/run.sh [options]
# Options (or BENCH_* variables): --duration 10 --workers 4 (or 2,3,4) --users 1 --connections 16,64 ... ; --help lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then PYTHON=$VIRTUAL_ENV/bin/python
  elif [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python
  else PYTHON=python3; fi
fi
# exec: signals (Ctrl-C, TERM) go straight to the driver, which stops gunicorn and wrk.
exec "$PYTHON" bench/run.py "$@"
