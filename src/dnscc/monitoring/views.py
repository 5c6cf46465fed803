from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dnscc.accounts.models import Account
from dnscc.core.exercise_mark import wants_exercises
from dnscc.core.regions import Region
from dnscc.monitoring import plot, services
from dnscc.monitoring.chain import broken_links, chain_svg
from dnscc.monitoring.groups import group_alerts
from dnscc.monitoring.models import SEVERITIES, Alert, Finding, Sweep, ZoneStatus
from dnscc.web.access import role_required

STATUSES = ["critical", "error", "warning", "notice", "info", "untested", "ok"]


@role_required(staff=True)
def health(request: HttpRequest) -> HttpResponse:
    g = request.GET
    zones = ZoneStatus.objects.select_related("tld", "tld__operator")
    if g.get("region"):
        zones = zones.filter(region=g["region"])
    if g.get("status"):
        zones = zones.filter(worst=g["status"])
    if g.get("code"):
        open_zones = Finding.objects.filter(resolved_at__isnull=True, code=g["code"]).values("zone")
        zones = zones.filter(zone__in=open_zones)
    if g.get("q"):
        zones = zones.filter(zone__contains=g["q"].strip().lower().lstrip("."))
    # Worst first: critical zones at the top, then by how many findings they have.
    rank = Case(
        *[When(worst=status, then=Value(i)) for i, status in enumerate(STATUSES)],
        default=Value(len(STATUSES)),
        output_field=IntegerField(),
    )
    zones = zones.annotate(rank=rank).order_by("rank", "-open_findings", "zone")
    page = Paginator(zones, 100).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    codes = sorted(
        set(Finding.objects.filter(resolved_at__isnull=True).values_list("code", flat=True))
    )
    counts = services.status_counts()
    return render(
        request,
        "monitoring/health.html",
        {
            "page": page,
            "f": g,
            "query": query.urlencode(),
            "regions": list(Region),
            "statuses": STATUSES,
            "codes": codes,
            "cards": [(s, counts.get(s, 0)) for s in STATUSES],
            "plot": mark_safe(plot.open_findings_svg(services.history())),  # noqa: S308 - built from numbers and escaped text
            "last_sweep": Sweep.objects.first(),
        },
    )


@role_required(staff=True)
def zone(request: HttpRequest, name: str) -> HttpResponse:
    zone_name = "" if name in (".", "root") else name.lower().rstrip(".")
    status = (
        ZoneStatus.objects.filter(zone=zone_name).select_related("tld", "tld__operator").first()
    )
    findings = Finding.objects.filter(zone=zone_name).order_by("resolved_at", "-last_seen")
    if status is None and not findings.exists():
        raise Http404
    chain = list(status.chain) if status is not None else []
    return render(
        request,
        "monitoring/zone.html",
        {
            "name": zone_name,
            "status": status,
            "chain_svg": mark_safe(chain_svg(f"{zone_name}." if zone_name else ".", chain)),  # noqa: S308 - Graphviz output of escaped DOT strings
            "chain_broken": broken_links(chain),
            "chain_known": bool(chain),
            "open": [f for f in findings if f.is_open],
            "resolved": [f for f in findings if not f.is_open][:50],
        },
    )


GROUPS_PER_PAGE = 50
MAX_GROUPED = 5000  # the most recent alerts grouped on one page view


def _alert_rows(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    """The alerts the page's filters select, and the filters as the template shows them."""
    viewer = request.viewer  # type: ignore[attr-defined]
    g = request.GET
    qs = Alert.objects.select_related("finding", "organization").prefetch_related("incidents")
    show_exercises = wants_exercises(g)
    if not show_exercises:
        qs = qs.filter(exercise__isnull=True)  # live lists (core.exercise_mark)
    state = g.get("state", "active")
    if state == "active":
        qs = qs.exclude(state=Alert.RESOLVED)
    elif state in (Alert.OPEN, Alert.ACKNOWLEDGED, Alert.RESOLVED):
        qs = qs.filter(state=state)
    desk = g.get("desk", "mine")
    account = Account.objects.filter(user_id=viewer.user_id).first()
    my_desks = list(account.desks) if account else []
    watched = services.watched_desks(my_desks)
    if desk == "mine" and my_desks:
        # Alerts with no desk (a gTLD operator without a region) reach every desk, and so
        # do those of the desk on duty while nobody staffs it.
        qs = qs.filter(desk__in=watched)
    elif desk not in ("mine", "all", ""):
        qs = qs.filter(desk=desk)
    severity = g.get("severity", "")
    if severity in SEVERITIES:
        qs = qs.filter(severity=severity)
    filters = {
        "state": state,
        "desk": desk,
        "severity": severity,
        "exercises": show_exercises,
        "my_desks": my_desks,
        "extra_desks": [d for d in watched if d and d not in my_desks],
    }
    return qs, filters


@role_required(staff=True)
def alerts(request: HttpRequest) -> HttpResponse:
    """Alerts in groups of one cause, worst and oldest first (monitoring.groups)."""
    qs, filters = _alert_rows(request)
    rows = list(qs.order_by("-opened_at")[:MAX_GROUPED])
    groups = group_alerts(rows)
    for group in groups:
        for a in group.alerts:
            # Findings of other apps (root server anomalies) link to a page of their own.
            a.detail_url = services.detail_page(a.finding)
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "monitoring/alerts.html",
        {
            "page": page,
            **filters,
            "alert_count": len(rows),
            "capped": len(rows) >= MAX_GROUPED,
            "query": query.urlencode(),
            "regions": list(Region),
            "severities": SEVERITIES,
            "states": ["active", "open", "acknowledged", "resolved", "all"],
        },
    )


def _back_to_alerts(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("monitoring:alerts")
    return redirect(target)


@require_POST
@role_required(staff=True)
def acknowledge_many(request: HttpRequest) -> HttpResponse:
    """Acknowledge a group (its button sends `ids`) or the alerts ticked on the page."""
    raw = request.POST.get("ids") or " ".join(request.POST.getlist("alert"))
    try:
        ids = [int(x) for x in raw.replace(",", " ").split()]
    except ValueError:
        ids = []
    if not ids:
        messages.error(request, "Tick the alerts to acknowledge first.")
        return _back_to_alerts(request)
    done = services.acknowledge_alerts(ids[:5000], request.user)
    skipped = len(set(ids)) - len(done)
    text = f"{len(done)} alert(s) acknowledged."
    if skipped:
        text += f" {skipped} were not open (acknowledged or resolved already)."
    messages.success(request, text)
    return _back_to_alerts(request)


@require_POST
@role_required(staff=True)
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    services.acknowledge_alert(alert, request.user)
    return _back_to_alerts(request)
