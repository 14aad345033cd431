"""gunicorn's settings for dream-api: ``gunicorn -c python:dreamapi.gunicorn_conf dreamapi.wsgi``.

Command-line options (``--workers``, ``--bind``…) still apply on top of these.

gunicorn answers a request line or header over its limits itself, with a ``text/html`` page,
before the app sees it. Its limits are therefore set *above* the app's own
(``MAX_REQUEST_TARGET_BYTES`` = 4,096 bytes of path + query, ``MAX_REQUEST_HEADER_BYTES`` =
8,190 bytes per header line, enforced by ``dreamapi.middleware.RequestGuardMiddleware``), so a
request between the two gets our JSON 414/431 under /api/. Only a request beyond gunicorn's
limits below still gets gunicorn's HTML (see the README's production section).
"""

# The whole request line (method, target, "HTTP/1.1"); 8190 is the most gunicorn allows.
limit_request_line = 8190
# One header line (name and value); gunicorn's default is 8190.
limit_request_field_size = 16384
# Number of header lines (gunicorn's default).
limit_request_fields = 100
