from __future__ import annotations

from django import template

from ..charts import bar_chart_svg
from ..formatting import end_user_label, format_money, format_money_map, format_number
from ..links import project_home as _project_home
from ..links import project_url as _project_url
from ..selectors import DailySeries
from ..selectors import platform_numbers as _platform_numbers

register = template.Library()


@register.simple_tag(takes_context=True)
def project_url(context, name: str = "project", *args, project=None, mode=None, **query) -> str:
    """``{% project_url "tier_edit" tier.slug %}``: a page of the context's project, in the
    context's mode unless ``mode=`` says otherwise; other keywords become query parameters."""
    return _project_url(project or context["project"], mode or context["mode"], name, *args, **query)


@register.simple_tag
def project_home(project, mode: str) -> str:
    """``{% project_home project mode %}``: the page a project opens on (its products for a store)."""
    return _project_home(project, mode)


@register.simple_tag
def money(amount: int, currency: str) -> str:
    """``{% money 1900 "usd" %}`` → ``$19.00``."""
    return format_money(amount, currency)


@register.simple_tag
def money_map(amounts: dict, currency: str) -> str:
    """Money kept per currency: ``{% money_map overview.mrr overview.currency %}``."""
    return format_money_map(amounts or {}, currency)


@register.filter
def number(value) -> str:
    """``1234567`` → ``1,234,567``."""
    return format_number(value)


@register.simple_tag
def bar_chart(series: DailySeries, index: int):
    """``{% bar_chart series forloop.counter0 %}``: the series as an SVG bar chart (ids unique on the page)."""
    chart_id = f"chart-{index}"
    if series.unit in ("calls", "end users"):
        return bar_chart_svg(series, chart_id=chart_id, fmt=format_number)
    return bar_chart_svg(series, chart_id=chart_id, fmt=lambda amount: format_money(amount, series.unit))


@register.inclusion_tag("dashboard/_usage.html")
def usage_bar(used: int, limit: int | None):
    """This period's usage against the limit: a meter that turns amber at 80 % and red at 95 %."""
    return {"used": used, "limit": limit, "at_limit": limit is not None and used >= limit,
            "low": None if limit is None else limit * 0.8, "high": None if limit is None else limit * 0.95}


@register.filter
def fields_with_errors(form) -> int:
    """How many fields of the form have errors of their own (not counting the form-wide ones)."""
    return sum(1 for name in form.errors if name != "__all__")


@register.filter
def words(value) -> str:
    """A machine word for people: ``past_due`` → ``Past due``."""
    return str(value or "").replace("_", " ").capitalize()


@register.simple_tag
def platform_numbers() -> dict:
    """For the admin's index: ``{% platform_numbers as numbers %}``."""
    return _platform_numbers()


@register.filter
def who(end_user) -> str:
    """``{{ end_user|who }}``: their e-mail, else the app's id for them, else ours."""
    return end_user_label(end_user)
