import pytest
from django.db import connection


@pytest.fixture
def unreachable_database():
    """Point the connection at a server that is not there (PostgreSQL) or a path that cannot exist (SQLite)."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    else:
        connection.settings_dict["NAME"] = "/nonexistent-dir/db.sqlite3"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)
