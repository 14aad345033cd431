"""The developer's own dream-api plan: live keys work only while it is active."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from billing.services.platform_plan import platform_plan_active, platform_plan_checkout
from dreamapi.errors import ApiError
from tenants.services import platform_get_or_create


@login_required
def platform_plan(request: HttpRequest) -> HttpResponse:
    platform = platform_get_or_create(user=request.user)
    if request.method == "POST":
        page = request.build_absolute_uri(reverse("dashboard:platform_plan"))
        try:
            url = platform_plan_checkout(platform=platform, success_url=f"{page}?checkout=success",
                                         cancel_url=f"{page}?checkout=cancel")
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(url)
    if request.GET.get("checkout") == "success" and not platform.paid_plan_active:
        messages.info(request, "Thank you! Your payment is being confirmed; this page shows it within seconds.")
    return render(request, "dashboard/platform_plan.html", {
        "platform": platform, "stripe_active": platform_plan_active(user=request.user),
    })
