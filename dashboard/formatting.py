"""Numbers and money as people read them: ``$1,234.50``, ``¥500``, ``12.00 SEK``, ``1,234``."""

from __future__ import annotations

from billing.money import ZERO_DECIMAL_CURRENCIES
from tenants.models import EndUser

# Symbols only where they are unambiguous to the dashboard's readers; others show their code.
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩", "cad": "CA$", "aud": "A$",
            "nzd": "NZ$", "brl": "R$", "mxn": "MX$"}


def format_number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}"


def format_money(amount: int, currency: str) -> str:
    currency = currency.lower()
    sign, amount = ("-", -amount) if amount < 0 else ("", amount)
    units = f"{amount:,}" if currency in ZERO_DECIMAL_CURRENCIES else f"{amount // 100:,}.{amount % 100:02d}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{units}" if symbol else f"{sign}{units} {currency.upper()}"


def format_money_map(amounts: dict[str, int], currency: str) -> str:
    """Amounts in several currencies: ``$19.00 + €5.00``; nothing at all: zero in ``currency``."""
    shown = [format_money(value, code) for code, value in sorted(amounts.items(), key=lambda kv: -kv[1]) if value]
    return " + ".join(shown) or format_money(0, currency)


def end_user_label(end_user: EndUser) -> str:
    """How the dashboard names an end user: their e-mail, else the app's id for them (end users
    created on first use by an external id have no e-mail yet), else ours."""
    return end_user.email or end_user.external_id or end_user.public_id
