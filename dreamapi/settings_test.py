"""Settings for the test suite: the ordinary settings with ``DREAMAPI_ENV=test``.

``DATABASE_URL`` and ``REDIS_URL`` still apply, so CI runs the suite on PostgreSQL and Redis.
"""

import os

os.environ["DREAMAPI_ENV"] = "test"

from .settings import *  # noqa: E402,F403

# Tasks run in-process in tests, even with REDIS_URL set; tests/billing/test_worker.py
# starts a real Celery worker on Redis for the path through the broker.
CELERY_TASK_ALWAYS_EAGER = True

# Tests reach Stripe only through a stand-in they start themselves (tests/billing/conftest.py
# points STRIPE_API_BASE at it). Without one, calls go nowhere instead of to the stand-in a
# running `./dev run` listens on (port 12111), whose state a test would otherwise change.
if not os.environ.get("STRIPE_API_BASE"):
    STRIPE_API_BASE = "http://127.0.0.1:9"
