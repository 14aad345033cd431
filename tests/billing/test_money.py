import pytest

from billing.money import format_minor_units


@pytest.mark.parametrize("amount,currency,shown", [
    (1900, "usd", "19.00 USD"), (5, "eur", "0.05 EUR"), (123456789, "gbp", "1,234,567.89 GBP"),
    (500, "jpy", "500 JPY"), (0, "usd", "0.00 USD"), (25000, "KRW", "25,000 KRW"), (5120, "kwd", "5.120 KWD"),
    (1234567, "bhd", "1,234.567 BHD"),
])
def test_minor_units_are_shown_in_the_currencys_own_units(amount, currency, shown):
    assert format_minor_units(amount, currency) == shown
