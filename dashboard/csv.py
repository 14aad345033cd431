"""CSV downloads that stream: rows are read from the database in chunks and written out as
they come, so an export of any size holds only one chunk in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import StreamingHttpResponse

ROWS_PER_CHUNK = 2000


class _Line:
    """A file-like object that hands back what ``csv.writer`` writes to it."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    # Spreadsheets run cells that start like a formula; end users choose their own names and
    # e-mails, so such a cell is written as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def csv_response(*, filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> StreamingHttpResponse:
    return csv_lines_response(filename=filename, lines=_lines(header, rows))


def csv_lines_response(*, filename: str, lines: Iterable[str]) -> StreamingHttpResponse:
    """A download of CSV text already made a line at a time (e.g. ``storefront.selectors.orders_csv``)."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
