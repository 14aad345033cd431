"""Database helpers that several apps share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Several reads that must agree with each other (a metrics snapshot: a total and its parts)
    see one state of the database. On PostgreSQL they run in one read-only REPEATABLE READ
    transaction, so a payment recorded between two of the queries is in all of them or in none
    (READ COMMITTED gives every statement its own snapshot). Inside a transaction already, or on
    SQLite (which serializes writers anyway), the reads simply run in it."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:  # must be the transaction's first statement
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
