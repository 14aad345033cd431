"""Numbers and money as people read them (``$1,234.50``, ``¥500``, ``12.00 SEK``, ``1,234``), and
prices people type (``12.50`` USD) turned into the minor units everything else keeps."""

from __future__ import annotations

from decimal import Decimal

from billing.money import decimals
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
    places = decimals(currency)
    unit = 10**places
    units = f"{amount:,}" if not places else f"{amount // unit:,}.{amount % unit:0{places}d}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{units}" if symbol else f"{sign}{units} {currency.upper()}"


def major_units(amount: int, currency: str) -> Decimal:
    """``major_units(1250, "usd") == Decimal("12.50")``; ``(500, "jpy") == Decimal("500")``."""
    return Decimal(amount).scaleb(-decimals(currency))


def minor_units(amount: Decimal, currency: str) -> int:
    """``minor_units(Decimal("12.5"), "usd") == 1250``; ``(Decimal("500"), "jpy") == 500``.

    Raises ValueError, saying why, for an amount with more decimals than the currency has
    (``12.345`` USD, ``5.5`` JPY): it would have to be rounded, and a price is never guessed."""
    places = decimals(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        if not places:
            raise ValueError(f"{currency.upper()} has no minor unit: use a whole number.")
        raise ValueError(f"{currency.upper()} has {places} decimals; {amount} has more.")
    return int(scaled)


def format_money_map(amounts: dict[str, int], currency: str) -> str:
    """Amounts in several currencies: ``$19.00 + €5.00``; nothing at all: zero in ``currency``."""
    shown = [format_money(value, code) for code, value in sorted(amounts.items(), key=lambda kv: -kv[1]) if value]
    return " + ".join(shown) or format_money(0, currency)


def end_user_label(end_user: EndUser) -> str:
    """How the dashboard names an end user: their e-mail, else the app's id for them (end users
    created on first use by an external id have no e-mail yet), else ours."""
    return end_user.email or end_user.external_id or end_user.public_id
