"""Settings for the test suite: the ordinary settings with ``DREAMAPI_ENV=test``.

``DATABASE_URL`` and ``REDIS_URL`` still apply, so CI runs the suite on PostgreSQL and Redis.
"""

import os

os.environ["DREAMAPI_ENV"] = "test"

from .settings import *  # noqa: E402,F403
