"""A %0a in a path cannot forge a log line: every configured handler escapes control characters."""

import io
import logging
from contextlib import contextmanager

import pytest

from dreamapi.logfilters import EscapeControlCharacters, escape_controls

FORGED = "2026-01-01 00:00:00,000 ERROR dreamapi.api forged"


def configured_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The logger's handlers from settings.LOGGING (pytest adds its own capturing ones to the root)."""
    return [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]


@contextmanager
def captured(logger_name: str = ""):
    """What the handlers configured in settings.LOGGING for this logger write."""
    handlers = [h for h in configured_handlers(logging.getLogger(logger_name)) if isinstance(h, logging.StreamHandler)]
    assert handlers, f"no stream handler on {logger_name or 'root'}"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    try:
        yield stream
    finally:
        for handler, old in zip(handlers, previous):
            handler.setStream(old)


@pytest.mark.django_db
def test_a_newline_in_a_path_cannot_forge_a_line_of_our_log(alice, monkeypatch):
    from tenants.apis import CustomerDetailApi

    def explode(self, customer_id):
        raise RuntimeError("boom")

    monkeypatch.setattr(CustomerDetailApi, "get_end_user", explode)
    client = alice.api()
    client.raise_request_exception = False
    with captured() as out:
        response = client.get("/api/customers/usr_x%0a" + FORGED.replace(" ", "%20"))
        client.get("/api/nothing-here%0d%0a" + FORGED.replace(" ", "%20"))
    assert response.status_code == 500
    lines = out.getvalue().splitlines()
    assert not [line for line in lines if line.startswith(FORGED[:10])]
    assert any("unhandled error on GET /api/customers/usr_x\\n2026-01-01" in line for line in lines), lines
    assert any("Not Found: /api/nothing-here\\r\\n2026-01-01" in line for line in lines), lines
    assert "Traceback (most recent call last):" in lines  # a traceback keeps its own lines


def test_djangos_request_and_server_loggers_go_through_the_filter():
    for name in ("django.request", "django.server", "django.security", "dreamapi.api", "billing.tasks"):
        logger = logging.getLogger(name)
        while logger and not configured_handlers(logger):
            logger = logger.parent if logger.propagate else None
        assert logger is not None
        for handler in configured_handlers(logger):
            assert any(isinstance(f, EscapeControlCharacters) for f in handler.filters), (name, handler)
    with captured("django.server") as out:
        logging.getLogger("django.server").info('"GET /%s HTTP/1.1" 404 0', "x\n" + FORGED)
    assert out.getvalue().count("\n") == 1 and "x\\n2026" in out.getvalue()


@pytest.mark.parametrize("raw, escaped", [
    ("a\nb", "a\\nb"), ("a\rb", "a\\rb"), ("a\tb", "a\\tb"), ("\x00\x1b[31m", "\\x00\\x1b[31m"),
    ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"), ("a\u2028b\u2029", "a\\u2028b\\u2029"), ("plain é 😀", "plain é 😀"),
])
def test_control_characters_are_escaped(raw, escaped):
    assert escape_controls(raw) == escaped
