"""The documented production environment (README, "Production settings"): every required variable,
with values that pass the production profile's checks. Tests start processes with it."""

PRODUCTION = {
    "DREAMAPI_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://user:pass@127.0.0.1:5432/dreamapi",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_TEST_SECRET_KEY": "sk_test_" + "a" * 30,
    "STRIPE_LIVE_SECRET_KEY": "sk_live_" + "a" * 30,
    "STRIPE_CONNECT_CLIENT_ID_TEST": "ca_test_platform",
    "STRIPE_CONNECT_CLIENT_ID_LIVE": "ca_live_platform",
    "STRIPE_CONNECT_WEBHOOK_SECRETS": "whsec_one,whsec_two",
    "PLATFORM_PLAN_PRICE_ID": "price_platform_plan",
    "FIELD_ENCRYPTION_KEYS": "field-encryption-key-one-0123456789abcdef,field-encryption-key-old-0123456789abcdef",
}
