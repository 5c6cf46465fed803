"""Portal pages of verification, the dashboard and exports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.campaigns import reports, services
from dnscc.campaigns.models import Campaign
from dnscc.core import charts
from dnscc.core.errors import NotFoundError
from dnscc.web.access import role_required

SERIES = {"reported": ("reported", "#0b5cad"), "verified_ok": ("verified", "#1a7f37")}


def progress_svg(points: list[dict[str, Any]], *, width: int = 720, height: int = 200) -> str:
    """Names reported and verified over time (Snapshot rows), drawn by core.charts like every
    other picture of the portal; an empty string when there is nothing to draw yet."""
    if not points:
        return ""
    labels = [f"{p['at']:%Y-%m-%d %H:%M}" for p in points]
    series = [
        charts.Series(label, [int(p[key]) for p in points], color)
        for key, (label, color) in SERIES.items()
    ]
    return charts.line_chart(
        labels, series, title="Campaign progress over time", width=width, height=height
    )


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    try:
        return services.get_campaign(request.viewer, slug)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404("No such campaign.") from None


@role_required(staff=True)
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    data = reports.dashboard(campaign, viewer=request.viewer)  # type: ignore[attr-defined]
    audit.disclosed(audit.Actor.of(request.user), "campaign.dashboard", ids=[campaign.pk])
    return render(
        request,
        "campaigns/dashboard.html",
        {
            "campaign": campaign,
            "d": data,
            "plot": mark_safe(progress_svg(data["progress"])),  # noqa: S308 - numbers and escaped text
        },
    )


@role_required(staff=True)
@require_POST
def verify_now(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    from dnscc.campaigns.tasks import verify_campaign_task

    verify_campaign_task.enqueue(campaign.pk, actor=request.user.get_username())
    messages.success(request, "Verification queued; the dashboard shows it when it is done.")
    return redirect("campaigns:dashboard", slug=campaign.slug)


patterns: list[URLPattern] = [
    path("<slug:slug>/dashboard/", dashboard, name="dashboard"),
    path("<slug:slug>/verify/", verify_now, name="verify"),
]
