"""Settings for the test suite: the ordinary settings with ``DREAMAPI_ENV=test``.

``DATABASE_URL`` and ``REDIS_URL`` still apply, so CI runs the suite on PostgreSQL and Redis.
"""

import os

os.environ["DREAMAPI_ENV"] = "test"

from .settings import *  # noqa: E402,F403

# Tasks run in-process in tests, even with REDIS_URL set; tests/billing/test_worker.py
# starts a real Celery worker on Redis for the path through the broker.
CELERY_TASK_ALWAYS_EAGER = True
