"""read_snapshot: several reads agree although another connection commits in between."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from dreamapi.db import read_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def _count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM snapshot_probe")
        return cursor.fetchone()[0]


def _insert_from_another_connection() -> None:
    def insert():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("INSERT INTO snapshot_probe VALUES (2)")
        finally:
            connections.close_all()

    thread = threading.Thread(target=insert)
    thread.start()
    thread.join()


@pytest.fixture
def probe():
    if connection.vendor != "postgresql":
        pytest.skip("READ COMMITTED vs REPEATABLE READ is PostgreSQL's (CI runs on it)")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE snapshot_probe (n integer)")
        cursor.execute("INSERT INTO snapshot_probe VALUES (1)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE snapshot_probe")


def test_reads_inside_a_snapshot_do_not_see_a_commit_made_between_them(probe):
    with read_snapshot():
        before = _count()
        _insert_from_another_connection()
        assert _count() == before == 1
    assert _count() == 2  # after it, the commit is there


def test_without_it_the_second_read_sees_the_commit(probe):
    # What read_snapshot protects against: READ COMMITTED, one snapshot per statement.
    before = _count()
    _insert_from_another_connection()
    assert (before, _count()) == (1, 2)


def test_a_snapshot_is_read_only(probe):
    from django.db import InternalError

    with pytest.raises(InternalError, match="read-only"), read_snapshot():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO snapshot_probe VALUES (3)")
