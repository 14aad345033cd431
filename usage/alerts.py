"""Usage alerts to the developer's webhooks: ``usage.threshold_reached`` and ``usage.limit_reached``.

Detected from the count the counting statement already returned, with no query on a call that
crosses nothing: a threshold of t % is crossed by the call that takes ``count * 100 // limit``
from below t to t or more. Since one atomic statement adds each amount, exactly one call
crosses a given mark, however many run at once. That call looks at the project's
subscriptions (cached in-process, ``webhooks.selectors.subscribers``) and emits one event per
crossed threshold that an endpoint chose; each carries a dedupe key, so a threshold fires at
most once per end user, period, feature and threshold even when the count crosses it again (a
carried-over count, a changed limit). ``usage.limit_reached`` is the crossing of 100 %.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dreamapi.fields import utc_text
from tenants.models import EndUser
from webhooks.events import USAGE_LIMIT_REACHED, USAGE_THRESHOLD_REACHED
from webhooks.selectors import subscribers
from webhooks.services import developer_event_emit

from .models import DEFAULT_METER

if TYPE_CHECKING:
    from .services import Usage


def usage_alerts_after_count(*, project_id: int, mode: str, usage: Usage, amount: int) -> None:
    """Called after every counted amount on a limited meter (``usage.limit`` > 0)."""
    limit = usage.limit
    before, after = (usage.count - amount) * 100 // limit, usage.count * 100 // limit
    if before == after:
        return  # no whole percent crossed: the common case, no query, no lookup
    thresholds: set[int] = set()
    limit_watched = False
    for subscriber in subscribers(project_id=project_id, mode=mode):
        if USAGE_THRESHOLD_REACHED in subscriber.event_types:
            thresholds |= subscriber.thresholds
        limit_watched = limit_watched or USAGE_LIMIT_REACHED in subscriber.event_types
    crossed = sorted(t for t in thresholds if before < t <= after)
    reached = limit_watched and before < 100 <= after
    if not crossed and not reached:
        return
    feature = usage.feature or DEFAULT_METER
    external_id = EndUser.objects.filter(public_id=usage.user_id).values_list("external_id", flat=True).first()
    data: dict[str, Any] = {
        "userId": usage.user_id, "externalId": external_id, "plan": usage.plan, "feature": feature,
        "usageCount": usage.count, "limit": limit,
        "periodStart": utc_text(usage.period_start), "periodEnd": utc_text(usage.period_end),
    }
    once = f"{usage.user_id}:{feature}:{data['periodStart']}"
    for threshold in crossed:
        developer_event_emit(project_id=project_id, mode=mode, type=USAGE_THRESHOLD_REACHED,
                             data={**data, "threshold": threshold},
                             dedupe_key=f"{USAGE_THRESHOLD_REACHED}:{once}:{threshold}")
    if reached:
        developer_event_emit(project_id=project_id, mode=mode, type=USAGE_LIMIT_REACHED, data=data,
                             dedupe_key=f"{USAGE_LIMIT_REACHED}:{once}")
