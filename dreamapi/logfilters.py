"""One log record, one line: control characters in a message are escaped before it is written.

Paths, headers and other request data end up in log messages (``Not Found: /api/x``,
``unhandled error on GET /api/…``). A ``%0a`` in a path decodes to a newline, which would let
anyone write a line of their choosing into the log. ``EscapeControlCharacters`` is installed
on every handler in ``settings.LOGGING``, so it applies to Django's loggers and ours alike. It
escapes the whole formatted message (C0 and C1 controls, DEL, U+2028/U+2029) as ``\\n``,
``\\x1b``, ``\\u2028``…; a traceback (``exc_info``) is formatted after it and keeps its lines.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(_escape_one, text)


class EscapeControlCharacters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CONTROL.search(message):
            # Replaces the message with its formatted, escaped text; no handler formats it again.
            record.msg, record.args = escape_controls(message), None
        return True
