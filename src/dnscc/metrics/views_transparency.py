"""Transparency report pages: public (TLP:CLEAR: anyone, no login) under /transparency/, and
the staff page that drafts, reviews and publishes them (two-person rule)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError, NotFoundError
from dnscc.metrics import transparency
from dnscc.metrics.models import TransparencyReport
from dnscc.web.access import role_required


def _get(quarter: str, version: int | None) -> TransparencyReport:
    try:
        return transparency.get(quarter, version)
    except NotFoundError:
        raise Http404 from None


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "metrics/transparency_index.html", {"reports": transparency.published()})


@require_GET
def latest(request: HttpRequest, quarter: str) -> HttpResponse:
    """The latest published version of a quarter (each version also has its own URL)."""
    return HttpResponse(transparency.html(_get(quarter, None)))


@require_GET
def version_html(request: HttpRequest, quarter: str, version: int) -> HttpResponse:
    return HttpResponse(transparency.html(_get(quarter, version)))


@require_GET
def version_json(request: HttpRequest, quarter: str, version: int) -> HttpResponse:
    body = json.dumps(transparency.public_json(_get(quarter, version)), indent=1)
    return HttpResponse(body, content_type="application/json")


@require_GET
def version_pdf(request: HttpRequest, quarter: str, version: int) -> HttpResponse:
    report = _get(quarter, version)
    response = HttpResponse(transparency.pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="transparency-{report.quarter}-v{report.version}.pdf"'
    )
    return response


public_patterns: list[URLPattern] = [
    path("", index, name="index"),
    path("<str:quarter>/", latest, name="latest"),
    path("<str:quarter>/v<int:version>/", version_html, name="version"),
    path("<str:quarter>/v<int:version>.json", version_json, name="version_json"),
    path("<str:quarter>/v<int:version>.pdf", version_pdf, name="version_pdf"),
]


@role_required(staff=True)
def staff(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if request.method == "POST":
        post = request.POST
        actor = audit.Actor.of(request.user)
        try:
            action = post.get("action", "")
            if action == "draft":
                r = transparency.draft(
                    viewer,
                    actor,
                    post.get("quarter", ""),
                    user=request.user,
                    note=post.get("note", ""),
                )
                messages.success(
                    request,
                    f"{r.quarter} version {r.version} drafted: "
                    "ask a colleague to review and publish it.",
                )
            elif action == "publish":
                if post.get("confirm") != "1":
                    raise DnsccError("tick the confirmation to publish: it cannot be withdrawn")
                r = transparency.publish(
                    viewer,
                    actor,
                    post.get("quarter", ""),
                    _int(post.get("version")),
                    user=request.user,
                )
                messages.success(request, f"{r.quarter} version {r.version} published.")
            elif action == "discard":
                transparency.discard(
                    viewer, actor, post.get("quarter", ""), _int(post.get("version"))
                )
                messages.success(request, "Draft discarded.")
        except DnsccError as exc:
            messages.error(request, str(exc))
        return redirect("metrics:transparency")
    return render(
        request,
        "metrics/transparency_staff.html",
        {
            "reports": TransparencyReport.objects.select_related("drafted_by", "published_by"),
            "two_person": transparency.two_person_rule(),
        },
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@role_required(staff=True)
def preview(request: HttpRequest, quarter: str, version: int) -> HttpResponse:
    try:
        report = transparency.get(quarter, version, published_only=False)
    except NotFoundError:
        raise Http404 from None
    return HttpResponse(transparency.html(report))
