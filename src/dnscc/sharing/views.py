"""Portal pages of sharing: trust groups (members, agreements, what was shared with whom and
who pulled it), imported intelligence with its matches (open an incident or a campaign from
it), and a member's own groups with the agreement to accept. Plus the MISP feed out, with the
TAXII server's authentication (sharing.taxii)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError, InputError, Location, NotFoundError
from dnscc.core.tlp import Viewer
from dnscc.directory.models import Organization
from dnscc.sharing import groups, imports, serve
from dnscc.sharing.models import FeedSource, Pull
from dnscc.sharing.taxii import taxii_view
from dnscc.web.access import role_required


@role_required()
def home(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if not viewer.is_staff:
        invitations = groups.my_invitations(viewer)
        rows = [
            {
                "m": m,
                "state": groups.member_state(m.group, m),
                "agreement": groups.current_agreement(m.group),
            }
            for m in invitations
        ]
        audit.disclosed(
            audit.Actor.of(request.user), "sharing.group", ids=[m.group.slug for m in invitations]
        )
        return render(request, "sharing/member.html", {"rows": rows})
    all_groups = groups.active_groups(viewer)
    found = imports.visible_imports(viewer)[:50]
    audit.disclosed(audit.Actor.of(request.user), "sharing.import", ids=[i.pk for i in found])
    return render(
        request,
        "sharing/home.html",
        {
            "groups": [groups.group_summary(g) for g in all_groups],
            "imports": found,
            "feeds": FeedSource.objects.all()[:100],
        },
    )


@role_required(staff=True)
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        group = groups.visible_group(viewer, slug)
    except NotFoundError:
        raise Http404 from None
    pulls = list(Pull.objects.filter(group=group).select_related("organization")[:200])
    publications = list(group.publications.all()[:100])
    audit.disclosed(audit.Actor.of(request.user), "sharing.group", ids=[slug])
    orgs = Organization.objects.exclude(
        pk__in=group.memberships.values("organization_id")
    ).order_by("name")[:500]
    return render(
        request,
        "sharing/group.html",
        {
            "group": group,
            "summary": groups.group_summary(group),
            "agreement": groups.current_agreement(group),
            "publications": publications,
            "pulls": pulls,
            "orgs": orgs,
            "taxii_url": f"{settings.BASE_URL}/taxii2/{group.slug}/",
            "misp_url": f"{settings.BASE_URL}/sharing/feeds/{group.slug}/misp/",
        },
    )


@role_required(staff=True)
@require_POST
def add_member(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        group = groups.visible_group(viewer, slug)
        org = Organization.objects.filter(slug=request.POST.get("organization", "")).first()
        if org is None:
            raise InputError("choose an organisation", location=Location(field="organization"))
        groups.add_member(viewer, audit.Actor.of(request.user), group, org)
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{org.name} invited: it must accept the agreement.")
    return redirect("sharing:group", slug=slug)


@role_required()
@require_POST
def accept(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        group = groups.get_group_for_invitee(viewer, slug)
        org_slug = request.POST.get("organization", "") if viewer.is_staff else ""
        org = (
            Organization.objects.filter(slug=org_slug).first()
            if org_slug
            else Organization.objects.filter(pk=viewer.organization_id).first()
        )
        if org is None:
            raise InputError(
                "no organisation to accept for", location=Location(field="organization")
            )
        version = _int(request.POST.get("version", ""), "version")
        groups.accept_agreement(viewer, audit.Actor.of(request.user), group, org, version=version)
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Agreement v{version} of {group.name} accepted.")
    return redirect("sharing:group", slug=slug) if viewer.is_staff else redirect("sharing:home")


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{value!r} is not a number", location=Location(field=field)) from None


@role_required(staff=True)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        imp = imports.get_import(viewer, import_id)
    except NotFoundError:
        raise Http404 from None
    audit.disclosed(audit.Actor.of(request.user), "sharing.import", ids=[imp.pk])
    return render(
        request,
        "sharing/import.html",
        {
            "imp": imp,
            "matches": imports.matches(imp),
            "due": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        },
    )


@role_required(staff=True)
@require_POST
def import_incident(request: HttpRequest, import_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        imp = imports.get_import(viewer, import_id)
        incident = imports.open_incident(
            viewer,
            audit.Actor.of(request.user),
            imp,
            title=request.POST.get("title", ""),
            user=request.user,
        )
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        messages.error(request, str(exc))
        return redirect("sharing:import", import_id=import_id)
    messages.success(request, f"Incident {incident.ref} opened from the import.")
    return redirect("incidents:incident", ref=incident.ref)


@role_required(staff=True)
@require_POST
def import_campaign(request: HttpRequest, import_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    p = request.POST
    try:
        imp = imports.get_import(viewer, import_id)
        try:
            due = dt.date.fromisoformat(p.get("due_date", "").strip())
        except ValueError:
            raise InputError(
                "the due date is not a date", location=Location(field="due_date")
            ) from None
        campaign = imports.open_campaign(
            viewer,
            audit.Actor.of(request.user),
            imp,
            title=p.get("title", ""),
            due_date=due,
            action=p.get("action", ""),
            legal_basis=p.get("legal_basis", ""),
            legal_reference=p.get("legal_reference", ""),
            user=request.user,
        )
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        messages.error(request, str(exc))
        return redirect("sharing:import", import_id=import_id)
    messages.success(request, f"Campaign {campaign.title} opened with the import's names.")
    return redirect("campaigns:campaign", slug=campaign.slug)


# --- MISP feed out (TAXII's authentication; one feed per trust group) ------------------------


def _feed_group(viewer: Viewer, slug: str) -> Any:
    return groups.visible_group(viewer, slug)


@taxii_view("GET")
def misp_manifest(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    group = _feed_group(viewer, slug)
    manifest = serve.misp_manifest(viewer, group, settings.OUTREACH_CSAF_PUBLISHER)
    audit.disclosed(
        audit.Actor.of(request.taxii_user),  # type: ignore[attr-defined]
        "sharing.publication",
        ids=list(manifest),
        how="misp-manifest",
        group=group.slug,
    )
    import json

    return HttpResponse(json.dumps(manifest), content_type="application/json")


@taxii_view("GET")
def misp_hashes(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    group = _feed_group(viewer, slug)
    return StreamingHttpResponse(serve.misp_hashes(viewer, group), content_type="text/csv")


@taxii_view("GET")
def misp_event(request: HttpRequest, viewer: Viewer, slug: str, uid: str) -> HttpResponse:
    group = _feed_group(viewer, slug)
    pub = serve.misp_publication(viewer, group, uid)
    serve.record_event_pull(viewer, request.taxii_user, group, pub)  # type: ignore[attr-defined]
    chunks = serve.misp_event_chunks(viewer, pub, settings.OUTREACH_CSAF_PUBLISHER)
    return StreamingHttpResponse(chunks, content_type="application/json")


patterns = [
    path("", home, name="home"),
    path("groups/<slug:slug>/", group_detail, name="group"),
    path("groups/<slug:slug>/members", add_member, name="add_member"),
    path("groups/<slug:slug>/accept", accept, name="accept"),
    path("imports/<int:import_id>/", import_detail, name="import"),
    path("imports/<int:import_id>/incident", import_incident, name="import_incident"),
    path("imports/<int:import_id>/campaign", import_campaign, name="import_campaign"),
    path("feeds/<slug:slug>/misp/manifest.json", misp_manifest, name="misp_manifest"),
    path("feeds/<slug:slug>/misp/hashes.csv", misp_hashes, name="misp_hashes"),
    path("feeds/<slug:slug>/misp/<str:uid>.json", misp_event, name="misp_event"),
]
