from __future__ import annotations

from django import template

from billing.money import format_minor_units

from ..links import project_url as _project_url

register = template.Library()


@register.simple_tag(takes_context=True)
def project_url(context, name: str = "project", *args, project=None, mode=None, **query) -> str:
    """``{% project_url "tier_edit" tier.slug %}``: a page of the context's project, in the
    context's mode unless ``mode=`` says otherwise; other keywords become query parameters."""
    return _project_url(project or context["project"], mode or context["mode"], name, *args, **query)


@register.simple_tag
def money(amount: int, currency: str) -> str:
    return format_minor_units(amount, currency)


@register.filter
def fields_with_errors(form) -> int:
    """How many fields of the form have errors of their own (not counting the form-wide ones)."""
    return sum(1 for name in form.errors if name != "__all__")
