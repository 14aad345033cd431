"""The developer's own dream-api plan: a 14-day trial, then $15/month; live keys work while it is
good and for a 7-day grace period after a failed payment or its end."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from billing.services.platform_plan import (
    TRIAL_DAYS,
    platform_plan_checkout,
    platform_plan_portal,
    platform_plan_view,
)
from dreamapi.errors import ApiError
from tenants.services import platform_get_or_create


@login_required
def platform_plan(request: HttpRequest) -> HttpResponse:
    platform = platform_get_or_create(user=request.user)
    if request.method == "POST":
        page = request.build_absolute_uri(reverse("dashboard:platform_plan"))
        action = request.POST.get("action", "subscribe")
        try:
            if action == "portal":
                url = platform_plan_portal(platform=platform, return_url=page)
            else:
                url = platform_plan_checkout(platform=platform, success_url=f"{page}?checkout=success",
                                             cancel_url=f"{page}?checkout=cancel", trial=action == "trial")
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(url)
    view = platform_plan_view(platform=platform)
    if request.GET.get("checkout") == "success" and not view.live_keys:
        messages.info(request, "Thank you! Stripe is confirming it; this page shows it within seconds.")
    return render(request, "dashboard/platform_plan.html", {"platform": platform, "view": view,
                                                            "plan": view.plan, "trial_days": TRIAL_DAYS})
