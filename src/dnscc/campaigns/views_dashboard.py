"""Portal pages of verification, the dashboard and exports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.campaigns import reports, services
from dnscc.campaigns.models import Campaign
from dnscc.core.errors import NotFoundError
from dnscc.web.access import role_required

SERIES = {"reported": "#0b5cad", "verified_ok": "#1a7f37"}


def progress_svg(points: list[dict[str, Any]], *, width: int = 720, height: int = 180) -> str:
    """Names reported and verified over time (Snapshot rows) as a small server-side SVG,
    the way monitoring.plot draws open findings: numbers and escaped text only."""
    if not points:
        return ""
    pad_l, pad_b, pad_t = 56, 22, 10
    top = max([1, *[p["total"] for p in points]])
    n = len(points)

    def x(i: int) -> float:
        return pad_l + (width - pad_l - 10) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: int) -> float:
        return pad_t + (height - pad_t - pad_b) * (1 - v / top)

    parts = [
        f'<svg role="img" aria-label="Campaign progress over time" viewBox="0 0 {width} {height}"'
        f' width="100%" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad_l}" y1="{y(0)}" x2="{width - 10}" y2="{y(0)}" stroke="#d8dde3"/>',
        f'<text x="4" y="{y(top) + 4}" font-size="11" fill="#5b6470">{top}</text>',
        f'<text x="4" y="{y(0) + 4}" font-size="11" fill="#5b6470">0</text>',
    ]
    for key, color in SERIES.items():
        values = [int(p[key]) for p in points]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        label = escape(key.replace("_", " "))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}">'
            f"<title>{label}</title></polyline>"
        )
        parts.extend(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
            f"<title>{label}: {v}</title></circle>"
            for i, v in enumerate(values)
        )
    first, last = points[0]["at"], points[-1]["at"]
    parts.append(
        f'<text x="{pad_l}" y="{height - 4}" font-size="11" fill="#5b6470">'
        f"{first:%Y-%m-%d %H:%M}</text>"
    )
    parts.append(
        f'<text x="{width - 10}" y="{height - 4}" font-size="11" fill="#5b6470"'
        f' text-anchor="end">{last:%Y-%m-%d %H:%M}</text>'
    )
    legend_x = pad_l + 10
    for key, color in SERIES.items():
        parts.append(
            f'<text x="{legend_x}" y="{pad_t + 12}" font-size="11" fill="{color}">'
            f"{escape(key.replace('_', ' '))}</text>"
        )
        legend_x += 90
    parts.append("</svg>")
    return "".join(parts)


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
