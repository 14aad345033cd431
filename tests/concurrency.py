"""Many real concurrent requests: one thread each, released together, each with its own
database connection (closed when its call is done)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

A = TypeVar("A")
R = TypeVar("R")


def run_at_once(call: Callable[[A], R], args: Sequence[A]) -> list[R]:
    """``[call(arg) for arg in args]``, every call in its own thread, all started at the same moment."""
    start = threading.Barrier(len(args))

    def run(arg: A) -> R:
        try:
            start.wait()
            return call(arg)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(args)) as pool:
        return list(pool.map(run, args))
