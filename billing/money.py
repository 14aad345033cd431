"""Money is integer minor units plus an ISO currency; this is the one place that knows how many
minor units a currency has (Stripe's zero-decimal currencies have none, its three-decimal ones
three) and what Stripe will charge at all."""

ZERO_DECIMAL_CURRENCIES = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
})
# Stripe takes three-decimal amounts only when the last digit is 0 (5.120 KWD, not 5.124 KWD).
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Stripe's minimum charge per currency, in minor units (docs.stripe.com/currencies, "Minimum and
# maximum charge amounts"); other currencies must come to about 0.50 USD, which Stripe checks.
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
    "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300,
    "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}
# Stripe's amounts have at most eight digits.
MAXIMUM_AMOUNT = 99_999_999


def decimals(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    return 3 if currency in THREE_DECIMAL_CURRENCIES else 2


def format_minor_units(amount: int, currency: str) -> str:
    """``format_minor_units(1900, "usd") == "19.00 USD"``; ``(500, "jpy") == "500 JPY"``;
    ``(5120, "kwd") == "5.120 KWD"``."""
    places = decimals(currency)
    code = currency.upper()
    if places == 0:
        return f"{amount:,} {code}"
    unit = 10**places
    return f"{amount // unit:,}.{amount % unit:0{places}d} {code}"


def chargeable_problem(*, amount: int, currency: str) -> str | None:
    """Why Stripe would refuse to charge ``amount`` (minor units) in ``currency``, or None."""
    if amount > MAXIMUM_AMOUNT:
        return f"Stripe charges at most {format_minor_units(MAXIMUM_AMOUNT, currency)} ({MAXIMUM_AMOUNT:,} minor units)."
    if currency.lower() in THREE_DECIMAL_CURRENCIES and amount % 10:
        return (f"{currency.upper()} has three decimals and Stripe charges it only in whole tens of its minor unit: "
                f"use an amount ending in 0, such as {amount - amount % 10} or {amount - amount % 10 + 10}.")
    minimum = MINIMUM_CHARGE.get(currency.lower())
    if minimum is not None and amount < minimum:
        return (f"Stripe's minimum charge in {currency.upper()} is {format_minor_units(minimum, currency)}; "
                f"{format_minor_units(amount, currency)} is below it.")
    return None
