from django import template

from billing.money import format_minor_units

register = template.Library()


@register.simple_tag
def money(amount: int, currency: str) -> str:
    return format_minor_units(amount, currency)
