"""Daily bar charts drawn on the server as SVG: no JavaScript, no CDN, readable without CSS
(each bar has a tooltip, and the chart a title and a summary for screen readers)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .selectors import DailySeries

WIDTH, HEIGHT = 400, 150
LEFT, RIGHT, TOP, BOTTOM = 52, 4, 10, 20


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (an axis that reads well)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart_svg(series: DailySeries, *, chart_id: str, fmt: Callable[[int], str]) -> SafeString:
    points = series.points
    top = _nice_ceiling(max((value for _, value in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    gap = 1 if slot > 3 else 0
    bars = []
    for i, (day, value) in enumerate(points):
        height = 0 if value <= 0 else max(plot_h * value / top, 1.0)
        bars.append((f"{LEFT + i * slot + gap / 2:.2f}", f"{TOP + plot_h - height:.2f}", f"{max(slot - gap, 0.5):.2f}",
                     f"{height:.2f}", f"{day:%b} {day.day}: {fmt(value)}"))
    busiest = max(points, key=lambda p: p[1], default=None)
    summary = f"{fmt(series.total)} in {len(points)} days"
    if busiest and busiest[1]:
        summary += f"; busiest day {busiest[0]:%b} {busiest[0].day} with {fmt(busiest[1])}"
    summary += "."
    axis_y = TOP + plot_h
    labels = []
    if points:
        first, last = points[0][0], points[-1][0]
        labels = [(LEFT, "start", f"{first:%b} {first.day}"), (LEFT + plot_w, "end", f"{last:%b} {last.day}")]
    return format_html(
        '<svg viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{summary}</desc>'
        '<line class="axis" x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}"/>'
        '<line class="axis" x1="{left}" y1="{top}" x2="{right}" y2="{top}"/>'
        '<text x="{label_x}" y="{top_label_y}" text-anchor="end">{top_value}</text>'
        '<text x="{label_x}" y="{axis_y}" text-anchor="end">{zero}</text>'
        "{bars}{labels}</svg>",
        w=WIDTH, h=HEIGHT, id=chart_id, title=series.title, summary=summary, left=LEFT, right=WIDTH - RIGHT,
        axis_y=axis_y, top=TOP, label_x=LEFT - 6, top_label_y=TOP + 10, top_value=fmt(top), zero=fmt(0),
        bars=format_html_join("", '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
                              bars),
        labels=format_html_join("", '<text x="{}" y="' + str(HEIGHT - 6) + '" text-anchor="{}">{}</text>', labels),
    )
