"""Money is integer minor units plus an ISO currency; this is the one place that knows how
many minor units a currency has (Stripe's zero-decimal currencies have none)."""

ZERO_DECIMAL_CURRENCIES = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
})


def format_minor_units(amount: int, currency: str) -> str:
    """``format_minor_units(1900, "usd") == "19.00 USD"``; ``(500, "jpy") == "500 JPY"``."""
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{amount:,} {code}"
    return f"{amount // 100:,}.{amount % 100:02d} {code}"
