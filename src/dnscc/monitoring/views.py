from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dnscc.core.regions import Region
from dnscc.monitoring import plot, services
from dnscc.monitoring.chain import broken_links, chain_svg
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


@role_required(staff=True)
def alerts(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    g = request.GET
    qs = Alert.objects.select_related("finding", "organization")
    state = g.get("state", "active")
    if state == "active":
        qs = qs.exclude(state=Alert.RESOLVED)
    elif state in (Alert.OPEN, Alert.ACKNOWLEDGED, Alert.RESOLVED):
        qs = qs.filter(state=state)
    desk = g.get("desk", "mine")
    my_desks: list[str] = []
    from dnscc.accounts.models import Account

    account = Account.objects.filter(user_id=viewer.user_id).first()
    if account:
        my_desks = list(account.desks)
    if desk == "mine" and my_desks:
        # Alerts with no regional desk (a gTLD operator without a region) reach every desk.
        qs = qs.filter(Q(desk__in=my_desks) | Q(desk=""))
    elif desk not in ("mine", "all", ""):
        qs = qs.filter(desk=desk)
    page = Paginator(qs, 50).get_page(g.get("page"))
    for a in page:
        # Findings of other apps (root server anomalies) link to a page of their own.
        a.detail_url = services.detail_page(a.finding)
    return render(
        request,
        "monitoring/alerts.html",
        {
            "page": page,
            "state": state,
            "desk": desk,
            "my_desks": my_desks,
            "regions": list(Region),
            "severities": SEVERITIES,
            "states": ["active", "open", "acknowledged", "resolved", "all"],
        },
    )


@require_POST
@role_required(staff=True)
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    services.acknowledge_alert(alert, request.user)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("monitoring:alerts")
    return redirect(target)
