"""dream-api settings, read from the environment with django-environ.

With no environment at all the project runs on its embedded default: SQLite,
a local-memory cache, eager Celery tasks, console e-mail and the local Stripe
stand-in. ``DREAMAPI_ENV=production`` turns on the production profile, in which
missing secrets fail at start instead of falling back to a default.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DREAMAPI_ENV = env.str("DREAMAPI_ENV", default="local")
PRODUCTION = DREAMAPI_ENV == "production"
TESTING = DREAMAPI_ENV == "test"


def _required(name: str, local_default: str) -> str:
    """A secret: required in production, a harmless default elsewhere."""
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when DREAMAPI_ENV=production")
    return local_default


# --- core -------------------------------------------------------------------

_LOCAL_SECRET_KEY = "local-insecure-key-do-not-use-in-production-0123456789"
SECRET_KEY = _required("SECRET_KEY", _LOCAL_SECRET_KEY)
# Django's own check (security.W009) only warns; production refuses to start instead.
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY == _LOCAL_SECRET_KEY
                   or SECRET_KEY.startswith("django-insecure-")):
    raise ImproperlyConfigured("SECRET_KEY must be 50+ random characters (not a default) when DREAMAPI_ENV=production")
# Keys for the secrets stored encrypted (signing keys, OIDC client secrets; see signup/crypto.py):
# the first encrypts, all decrypt, so a key is rotated by putting a new one first and running
# `manage.py reencrypt_secrets`. Outside production the default is a key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if PRODUCTION and not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DREAMAPI_ENV=production")
if PRODUCTION and any(len(key) < 32 or len(set(key)) < 5 or key == SECRET_KEY for key in FIELD_ENCRYPTION_KEYS):
    raise ImproperlyConfigured("each of FIELD_ENCRYPTION_KEYS must be 32+ random characters, other than SECRET_KEY")
# Values encrypted before FIELD_ENCRYPTION_KEYS (under the SECRET_KEY-derived key) still decrypt
# while this is on; turn it off once `reencrypt_secrets` has moved them.
FIELD_ENCRYPTION_SECRET_KEY_FALLBACK = env.bool("FIELD_ENCRYPTION_SECRET_KEY_FALLBACK", default=True)
DEBUG = env.bool("DEBUG", default=not PRODUCTION and not TESTING)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DREAMAPI_ENV=production")
# Absolute base URL of this service, used in links we hand out (e-mails, Stripe return URLs).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How many reverse proxies of ours (load balancers) sit in front of the app; per-address
# rate limits then read the client from X-Forwarded-For (see dreamapi/clientip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "djstripe",
    "tenants",
    "billing",
    "usage",
    "storefront",
    "signup",
    "webhooks",
    "dashboard",
]

MIDDLEWARE = [
    "dreamapi.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dreamapi.middleware.ApiJsonErrorsMiddleware",
    "dreamapi.middleware.AdminLoginThrottleMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "dreamapi.urls"
WSGI_APPLICATION = "dreamapi.wsgi.application"
ASGI_APPLICATION = "dreamapi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Server-side parameter binding lets psycopg prepare statements it sees repeatedly on a
        # connection; the hot path's upsert then skips PostgreSQL's planner (measured: 475 µs →
        # 231 µs per call). Turn off behind a transaction-pooling PgBouncer older than 1.21.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["server_side_binding"] = env.bool("DB_SERVER_SIDE_BINDING", default=True)
        if options["server_side_binding"]:
            options.setdefault("prepare_threshold", 5)  # Django's default (None) never prepares
        # A server that does not answer fails the request (503) after this long, not the OS's minutes.
        options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    # Off by default: a health check costs an extra round trip on the first query of every request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=False)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "dreamapi.sqlite3")),
            # WAL lets readers run beside the one writer; IMMEDIATE transactions and a busy
            # timeout make concurrent writers queue instead of failing with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(BASE_DIR / "var" / "test.sqlite3")},
        }
    }
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set when DREAMAPI_ENV=production")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, rate limits, Celery ------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dreamapi",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
else:
    if PRODUCTION:
        raise ImproperlyConfigured("REDIS_URL must be set when DREAMAPI_ENV=production")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True

CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "reconcile-subscriptions": {"task": "billing.tasks.reconcile_subscriptions", "schedule": 15 * 60},
    "cleanup-signup-records": {"task": "signup.tasks.cleanup_signup_records", "schedule": 60 * 60},
    "send-unsent-signup-emails": {"task": "signup.tasks.send_unsent_emails", "schedule": 60},
    "sweep-store-reservations": {"task": "storefront.tasks.sweep_reservations", "schedule": 5 * 60},
    # The daily usage history behind the dashboard's charts is exact to this interval.
    "fold-usage-history": {"task": "usage.tasks.fold_usage_history", "schedule": 5 * 60},
    "send-due-webhooks": {"task": "webhooks.tasks.send_due_webhooks", "schedule": 30},
    "sweep-webhook-history": {"task": "webhooks.tasks.sweep_webhook_history", "schedule": 24 * 60 * 60},
    "sweep-idempotency-keys": {"task": "usage.tasks.sweep_idempotency_keys", "schedule": 60 * 60},
}

# --- hosted sign-up (signup/) ------------------------------------------------------

# Outbound fetches of URLs developers give us (OIDC issuers) refuse non-public addresses
# (dreamapi/safehttp.py). Loopback may be allowed for tests and local development only.
SAFEHTTP_ALLOW_LOOPBACK = env.bool("SAFEHTTP_ALLOW_LOOPBACK", default=False)
if PRODUCTION and SAFEHTTP_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("SAFEHTTP_ALLOW_LOOPBACK is for tests and local development only")

# --- auth (developers: django-allauth) -------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "tenants.adapters.DeveloperAccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "signup": "20/m/ip", "reset_password": "20/m/ip,5/m/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- REST API ----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["dreamapi.jsonparse.StrictJSONParser"],
    "EXCEPTION_HANDLER": "dreamapi.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "dreamapi.openapi.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dream-api",
    "DESCRIPTION": "Accounts, Stripe billing and usage limits behind one secret key.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc assets come from drf-spectacular-sidecar: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["dreamapi.openapi.only_public_paths"],
}

# The usage counter's upsert commits without waiting for PostgreSQL's WAL flush (see
# usage/services.py): ~4× cheaper; a database crash may forget the last ~0.5 s of increments.
USAGE_COUNTER_SYNCHRONOUS_COMMIT = env.bool("USAGE_COUNTER_SYNCHRONOUS_COMMIT", default=False)

# /api/_bench/noop: a no-op view on the same stack, for bench/ only.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

# How long a verified API key is trusted from the in-process cache. A revoked or
# regenerated key stops working on every server within this many seconds.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=5.0)
# Largest JSON body the API accepts (bytes); Django refuses larger ones before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# Largest multipart upload (product images: 5 MB, plus the multipart framing).
API_MAX_UPLOAD_BYTES = env.int("API_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024 + 64 * 1024)
# Longest path + query string (414) and header line (431) the app answers; the WSGI server's
# own limits (dreamapi/gunicorn_conf.py) are higher, so these get our JSON error under /api/.
MAX_REQUEST_TARGET_BYTES = 4096
MAX_REQUEST_HEADER_BYTES = 8190
# Failed /admin/login/ attempts allowed per client address and window; then 429 until it ends.
ADMIN_LOGIN_MAX_FAILURES = env.int("ADMIN_LOGIN_MAX_FAILURES", default=10)
ADMIN_LOGIN_WINDOW_SECONDS = env.int("ADMIN_LOGIN_WINDOW_SECONDS", default=300)

# --- Stripe ---------------------------------------------------------------------------

# The platform's Stripe keys, one per mode: a project's test-mode calls use the test key,
# live-mode calls the live key, each with ``stripe_account=<the developer's account>``.
# With no keys set, every Stripe call goes to the local stand-in at STRIPE_API_BASE
# (stripe_standin/), which accepts any key of the right shape. The code path is the same.
STRIPE_TEST_SECRET_KEY = env.str("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env.str("STRIPE_LIVE_SECRET_KEY", default="")
STRIPE_USES_STANDIN = not (STRIPE_TEST_SECRET_KEY or STRIPE_LIVE_SECRET_KEY)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:12111" if STRIPE_USES_STANDIN else "")
if PRODUCTION:
    _required("STRIPE_TEST_SECRET_KEY", "")
    _required("STRIPE_LIVE_SECRET_KEY", "")
if STRIPE_USES_STANDIN:
    STRIPE_TEST_SECRET_KEY = "sk_test_standinPlatformKey000000000000"
    STRIPE_LIVE_SECRET_KEY = "sk_live_standinPlatformKey000000000000"
# Connect OAuth client ids (ca_…) of the platform, per mode.
STRIPE_CONNECT_CLIENT_ID_TEST = _required("STRIPE_CONNECT_CLIENT_ID_TEST", "ca_standin_test")
STRIPE_CONNECT_CLIENT_ID_LIVE = _required("STRIPE_CONNECT_CLIENT_ID_LIVE", "ca_standin_live")
# Signing secrets of the Connect webhook endpoint. Several may be given (comma-separated)
# while a secret is being rotated; an event signed with any of them is accepted.
STRIPE_CONNECT_WEBHOOK_SECRETS = _required("STRIPE_CONNECT_WEBHOOK_SECRETS", "whsec_standin_connect").split(",")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)

# The platform plan developers pay for (live keys need it): a recurring Price on the
# platform's own account. ``manage.py platformplan_setup`` creates one on the stand-in.
PLATFORM_PLAN_PRICE_ID = _required("PLATFORM_PLAN_PRICE_ID", "")

# dj-stripe keeps the platform's own billing of developers in sync. Production bills developers
# in live mode (a test card can't buy the plan there); elsewhere in test mode. Overridable.
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=PRODUCTION)
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"

# --- e-mail ------------------------------------------------------------------------------

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="dream-api <no-reply@localhost>")

# --- static files, i18n -----------------------------------------------------------------

STATIC_URL = "static/"
# The dashboard's CSS and JavaScript (no CDN: everything is served from here by WhiteNoise).
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic's target; outside production static files are served from the apps (finders).
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")) if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- the store: product images (assets) and checkouts ---------------------------------------
# Images are kept through the "assets" storage: the local disk under MEDIA_ROOT by default
# (one server, or a volume all servers share), or an S3-compatible bucket when
# ASSETS_S3_BUCKET is set (django-storages; the bucket can stay private: images are served
# by GET /api/assets/{key}).
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
if env.str("ASSETS_S3_BUCKET", default=""):
    STORAGES["assets"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ASSETS_S3_BUCKET"),
            "endpoint_url": env.str("ASSETS_S3_ENDPOINT_URL", default="") or None,  # MinIO, R2, B2…
            "region_name": env.str("ASSETS_S3_REGION", default="") or None,
            "access_key": env.str("ASSETS_S3_ACCESS_KEY_ID", default="") or None,  # else the usual AWS chain
            "secret_key": env.str("ASSETS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("ASSETS_S3_PREFIX", default="assets"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    STORAGES["assets"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                          "OPTIONS": {"location": str(Path(MEDIA_ROOT) / "assets"), "base_url": None}}
STORE_ASSET_MAX_BYTES = env.int("STORE_ASSET_MAX_BYTES", default=5 * 1024 * 1024)
# A cart's stock is held until its Checkout Session expires (Stripe allows 30 min to 24 h;
# the default adds a minute so a slightly fast Stripe clock still accepts it).
STORE_CHECKOUT_EXPIRES_SECONDS = env.int("STORE_CHECKOUT_EXPIRES_SECONDS", default=31 * 60)
if not 30 * 60 < STORE_CHECKOUT_EXPIRES_SECONDS <= 24 * 3600 - 60:
    raise ImproperlyConfigured("STORE_CHECKOUT_EXPIRES_SECONDS must be between 1801 and 86340")
# Cart checkouts each browser address may start per minute with a publishable key.
STORE_CART_CHECKOUTS_PER_MINUTE = env.int("STORE_CART_CHECKOUTS_PER_MINUTE", default=20)

# Outside production WhiteNoise serves straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- security (production) --------------------------------------------------------------

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Every handler escapes control characters in messages (dreamapi/logfilters.py): a "%0a" in a
# path cannot forge a log line. Django's own handlers are replaced so that holds for them too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"escape_controls": {"()": "dreamapi.logfilters.EscapeControlCharacters"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {"()": "django.utils.log.ServerFormatter",
                          "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["escape_controls"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server",
                          "filters": ["escape_controls"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Instead of Django's defaults (a DEBUG-only console handler without the filter, and
        # mail_admins, unused): django.* goes to the root handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # stripe-python logs every request at INFO; our own code logs what matters.
        "stripe": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
