"""Portal pages of incidents: the list with its filters and saved views, the new-incident
form, and the incident page. Staff see an incident whole; an operator or partner sees only
incidents where its organisation is a party, and of those only its own party.

Thin: every read and change goes through incidents.services (TLP and parties decide there);
this module maps the services' errors to pages: NotFoundError to 404, PermissionDenied to
403, any other DnsccError to a message (ValidationErrors next to their field on forms).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, register_converter, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dnscc.accounts import audit
from dnscc.accounts.models import REGION_CHOICES
from dnscc.core.errors import (
    DnsccError,
    InputError,
    Location,
    NotFoundError,
    PermissionDenied,
    ValidationErrors,
)
from dnscc.core.regions import Region
from dnscc.core.taxonomy import DNS_TYPES, IMPACTS, SEVERITIES, URGENCIES, severity
from dnscc.core.tlp import TLP, Viewer
from dnscc.incidents import constrained, from_alerts, saved_views, services, sla, status_notes
from dnscc.incidents.models import Incident, IncidentLink, Party, SlaBreach
from dnscc.monitoring.groups import group_alerts
from dnscc.web.access import role_required

SCOPE_FIELDS = ("names", "tlds", "ips", "resolvers")
FORM_FIELDS = ("title", "summary", "dns_type", "impact", "urgency", "tlp", "desk", "owner")
LIST_FIELDS = ("status", "severity")
DEFAULT_ATTACHMENT_MAX = 10 * 1024 * 1024


def _viewer(request: HttpRequest) -> Viewer:
    return request.viewer  # type: ignore[attr-defined,no-any-return]


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(request.user)


def _errors(request: HttpRequest, exc: DnsccError) -> None:
    if isinstance(exc, ValidationErrors):
        for e in exc.errors[:20]:
            messages.error(request, str(e))
    else:
        messages.error(request, str(exc))


@contextmanager
def _reported(request: HttpRequest) -> Iterator[None]:
    """Run a change: what the viewer may not see is a 404, what it may not do a 403, and
    any other refusal (bad input, a conflict) a message on the page it returns to."""
    try:
        yield
    except NotFoundError:
        raise Http404 from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    except DnsccError as exc:
        _errors(request, exc)


def _incident(request: HttpRequest, ref: str) -> Incident:
    try:
        return services.get_incident(_viewer(request), ref)
    except NotFoundError:
        raise Http404 from None


def _back(ref: str, anchor: str = "") -> HttpResponse:
    url = reverse("incidents:incident", kwargs={"ref": ref})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _version(request: HttpRequest) -> int:
    raw = request.POST.get("version", "")
    try:
        return int(raw)
    except ValueError:
        raise InputError(
            "the form carries no valid version; reload the page and try again",
            location=Location(field="version"),
        ) from None


def attachment_max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX))


# -- times ------------------------------------------------------------------------------


def in_utc(at: datetime | None) -> str:
    """A time as the center writes it: in UTC, to the minute."""
    if at is None:
        return ""
    return f"{timezone.localtime(at, ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC"


def _party_deadline(party: Party) -> tuple[datetime | None, bool]:
    """The party's acknowledgement deadline, and whether the SLA module could say."""
    try:
        return sla.party_deadline(party), True
    except NotImplementedError:
        return None, False


def _party_row(party: Party, delivery: Any = None) -> dict[str, Any]:
    due, known = _party_deadline(party)
    shown = sla.format_deadline(due, party.organization.time_zone or "")
    return {
        "p": party,
        "deadline_known": known,
        "deadline_utc": shown["utc"],
        # The organisation's own clock, with its zone's name (UTC organisations: once).
        "deadline_local": f"{shown['local']} ({shown['tz']})" if shown["tz"] != "UTC" else "",
        "overdue": bool(due and due < timezone.now()),
        # Queued / accepted / bounced / acknowledged, and the contact each message went to.
        "delivery": delivery,
    }


# -- the list ---------------------------------------------------------------------------


def filter_query(g: QueryDict) -> dict[str, Any]:
    """The list's GET parameters as IncidentFilters.from_query takes them (lists for the
    multiple choices)."""
    query: dict[str, Any] = {
        k: g.get(k, "") for k in ("q", "dns_type", "desk", "mine", "breached", "exercises")
    }
    for name in LIST_FIELDS:
        query[name] = [v for v in g.getlist(name) if v]
    return query


@role_required()
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    g = request.GET
    try:
        filters = services.IncidentFilters.from_query(filter_query(g))
    except DnsccError as exc:
        _errors(request, exc)
        filters = services.IncidentFilters()
    if not viewer.is_staff:
        # Desks, owners and breaches are the center's business; a member filters its own.
        filters.desk, filters.mine, filters.breached = "", False, False
    found = services.search_incidents(viewer, filters)
    page = Paginator(found, 50).get_page(g.get("page"))
    rows = list(page.object_list)
    ids = [i.pk for i in rows]
    own: dict[int, Party] = {}
    breaches: dict[int, int] = {}
    if viewer.is_staff:
        for incident_id in SlaBreach.objects.filter(
            incident_id__in=ids, resolved_at__isnull=True
        ).values_list("incident_id", flat=True):
            breaches[incident_id] = breaches.get(incident_id, 0) + 1
    elif viewer.organization_id:
        own = {
            p.incident_id: p
            for p in Party.objects.filter(
                incident_id__in=ids, organization_id=viewer.organization_id
            )
        }
    query = g.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": [{"i": i, "own": own.get(i.pk), "breaches": breaches.get(i.pk, 0)} for i in rows],
        "total": len(found),
        "f": filters,
        "query": query.urlencode(),
        "saved_query": filters.to_query(),
        "saved": saved_views.saved_views(viewer, request.user),
        "statuses": Incident.STATUS_CHOICES,
        "severities": SEVERITIES,
        "types": [(t.code, t.label) for t in DNS_TYPES.values()],
        "desks": REGION_CHOICES,
    }
    audit.disclosed(_actor(request), "incidents.incident", ids=[i.ref for i in rows], how="list")
    # htmx refreshes only the table, and the saved-view form's copy of the filters with it.
    context["hx"] = bool(request.headers.get("HX-Request"))
    template = (
        "incidents/incident_list_rows.html" if context["hx"] else "incidents/incident_list.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@role_required(staff=True)
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    with _reported(request):
        view = saved_views.save_view(
            _viewer(request),
            _actor(request),
            request.user,
            name=request.POST.get("name", ""),
            query=query,
        )
        messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(f"{reverse('incidents:list')}?{query.lstrip('?')}")


@role_required(staff=True)
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    with _reported(request):
        saved_views.delete_view(_viewer(request), _actor(request), request.user, view_id)
        messages.success(request, "Saved view deleted.")
    return redirect("incidents:list")


# -- a new incident ---------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _field_of(location_field: str | None) -> str:
    """Which form field an error's location names ("scope.names[2]" is the names box)."""
    if not location_field:
        return ""
    for name in (*SCOPE_FIELDS, *FORM_FIELDS):
        if re.search(rf"(^|[^a-z_]){name}($|[^a-z_])", location_field):
            return name
    if re.search(r"(^|[^a-z_])type($|[^a-z_])", location_field):
        return "dns_type"
    return ""


def field_errors(exc: InputError) -> tuple[dict[str, list[str]], list[str]]:
    """Split an input error into messages per form field and the rest."""
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    by_field: dict[str, list[str]] = {}
    other: list[str] = []
    for e in errors:
        name = _field_of(e.location.field)
        if not name:
            other.append(str(e))
        elif e.location.field == name:
            by_field.setdefault(name, []).append(e.problem)
        else:
            by_field.setdefault(name, []).append(f"{e.location.field}: {e.problem}")
    return by_field, other


def _severity_of(impact: str, urgency: str) -> str:
    if impact in IMPACTS and urgency in URGENCIES:
        return severity(impact, urgency)
    return ""


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def new_incident(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form: dict[str, str] = {
        "impact": "medium",
        "urgency": "medium",
        "tlp": TLP.AMBER.value,
        "dns_type": "other",
        "owner": request.user.get_username(),
    }
    errors: dict[str, list[str]] = {}
    other: list[str] = []
    # Opened from monitoring alerts (?alert=1&alert=2): the form comes filled in from them.
    source = request.POST if request.method == "POST" else request.GET
    alerts: list[Any] = []
    if source.getlist("alert"):
        try:
            alerts = from_alerts.alerts_of(source.getlist("alert"))
        except InputError as exc:
            messages.error(request, str(exc))
            return redirect("monitoring:alerts")
        if request.method == "GET":
            proposed = from_alerts.proposal(alerts)
            form = {**form, **{k: v for k, v in proposed.items() if k != "scope"}}
            form.update({k: "\n".join(v) for k, v in proposed["scope"].items()})
    if request.method == "POST":
        p = request.POST
        form = {k: p.get(k, "") for k in (*FORM_FIELDS, *SCOPE_FIELDS)}
        data: dict[str, Any] = {k: form[k].strip() for k in FORM_FIELDS}
        data["scope"] = {k: _lines(form[k]) for k in SCOPE_FIELDS}
        try:
            if alerts:
                created = from_alerts.open_incident(
                    viewer, _actor(request), alerts, data, user=request.user
                )
            else:
                created = services.create_incident(viewer, _actor(request), data, user=request.user)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None
        except InputError as exc:
            errors, other = field_errors(exc)
        except DnsccError as exc:
            other = [str(exc)]
        else:
            messages.success(request, f"{created.ref} created.")
            return _back(created.ref)
    return render(
        request,
        "incidents/incident_new.html",
        {
            "form": form,
            "errors": errors,
            "other_errors": other,
            "severity": _severity_of(form.get("impact", ""), form.get("urgency", "")),
            "types": list(DNS_TYPES.values()),
            "levels": IMPACTS,
            "tlps": TLP.choices(),
            "desks": REGION_CHOICES,
            "alerts": alerts,
            "alert_groups": group_alerts(alerts) if alerts else [],
        },
        status=422 if errors or other else 200,
    )


@role_required(staff=True)
@require_GET
def severity_preview(request: HttpRequest) -> HttpResponse:
    """The severity the form's impact and urgency give (htmx swaps it in as they change)."""
    value = _severity_of(request.GET.get("impact", ""), request.GET.get("urgency", ""))
    return render(request, "incidents/incident_severity.html", {"severity": value})


# -- the incident page ------------------------------------------------------------------


def _sla_figures(incident: Incident) -> dict[str, Any] | None:
    try:
        return sla.figures(incident)
    except NotImplementedError:
        return None


FIGURES = (
    ("triage", "Time to triage"),
    ("first_notification", "Time to first notification"),
    ("mitigation", "Time to mitigation"),
)
MEDIANS = (
    ("notify", "Median time to notify a party"),
    ("acknowledge", "Median time to acknowledgement"),
    ("mitigate", "Median time to mitigation by a party"),
)


def figure_rows(figures: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The incident's SLA figures (sla.figures) as table rows, then the parties' medians."""
    if figures is None:
        return []
    rows: list[dict[str, Any]] = []
    for key, label in FIGURES:
        f = figures.get(key) or {}
        rows.append(
            {
                "name": label,
                "value": f.get("human", "—"),
                "target": f.get("target_human", ""),
                "due": in_utc(f.get("due_at")),
                "state": f.get("state", ""),
            }
        )
    medians = figures.get("medians") or {}
    for key, label in MEDIANS:
        m = medians.get(key) or {}
        count = m.get("count", 0)
        rows.append(
            {
                "name": label,
                "value": f"{m.get('human', '—')} (over {count} part{'y' if count == 1 else 'ies'})",
                "target": "",
                "due": "",
                "state": "",
            }
        )
    return rows


def _staff_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    viewer = _viewer(request)
    parties = services.visible_parties(viewer, incident)
    party_messages: list[dict[str, Any]] = []
    for party in parties:
        for m in services.party_messages(viewer, party):
            party_messages.append({"m": m, "party": party})
    party_messages.sort(key=lambda row: (row["m"].created_at, row["m"].pk))
    figures = _sla_figures(incident)
    timeline = services.replay(viewer, incident)
    deliveries = services.party_deliveries(incident, parties)
    return {
        "parties": [_party_row(p, deliveries.get(p.pk)) for p in parties],
        "constrained": constrained.constrained_reach(incident.pk),
        "regions": list(Region),
        "party_statuses": Party.STATUS_CHOICES,
        # What "Notify" takes by default: parties no notice has reached.
        "not_contacted": sum(1 for p in parties if p.status in services.NOT_REACHED),
        "unknown_scope": services.unknown_scope(incident),
        "tasks": list(incident.tasks.select_related("owner")),
        "notes": [e for e in timeline if e.get("kind") == "note"],
        "attachments": list(incident.attachments.defer("data")),
        "attachment_max": attachment_max_bytes(),
        # The other incident's title shows: only links to incidents this viewer may see.
        "links_out": list(
            incident.links_out.filter(target__in=services.visible_incidents(viewer)).select_related(
                "target"
            )
        ),
        "links_in": list(
            incident.links_in.filter(source__in=services.visible_incidents(viewer)).select_related(
                "source"
            )
        ),
        "relations": IncidentLink._meta.get_field("relation").choices,
        "timeline": timeline,
        "messages_sent": party_messages,
        "figures": figures,
        "figure_rows": figure_rows(figures),
        "statuses": Incident.STATUS_CHOICES,
        "breaches": list(incident.breaches.filter(resolved_at__isnull=True)),
    }


def _member_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    viewer = _viewer(request)
    own = services.visible_parties(viewer, incident)
    if not own:  # get_incident let it through: its own party is what it may see
        raise Http404
    party = own[0]
    return {
        "own": _party_row(party),
        "own_messages": services.party_messages(viewer, party),
        "operator_statuses": [
            (v, label) for v, label in Party.STATUS_CHOICES if v in Party.OPERATOR_STATUSES
        ],
    }


@role_required()
@require_GET
def incident_page(request: HttpRequest, ref: str) -> HttpResponse:
    viewer = _viewer(request)
    incident = _incident(request, ref)
    dns_type = DNS_TYPES.get(incident.dns_type)
    context: dict[str, Any] = {
        "i": incident,
        "dns_type": dns_type,
        "staff": viewer.is_staff,
    }
    if viewer.is_staff:
        context.update(_staff_context(request, incident))
    else:
        context.update(_member_context(request, incident))
    # The root operators' space: their status notes, and the root servers' figures.
    context["root_space"] = bool(status_notes.root_space(incident)) and status_notes.in_space(
        viewer, incident
    )
    context["status_notes"] = status_notes.visible_notes(viewer, incident)
    context["may_post_status"] = not viewer.is_staff and context["root_space"]
    context["root_panel"] = status_notes.root_panel(viewer, incident)
    context["tlps"] = [t for t in TLP if t is not TLP.RED]
    audit.disclosed(_actor(request), "incidents.incident", ids=[incident.ref], how="view")
    return render(request, "incidents/incident_page.html", context)


@role_required(staff=True)
@require_POST
def incident_status(request: HttpRequest, ref: str) -> HttpResponse:
    incident = _incident(request, ref)
    p = request.POST
    data: dict[str, Any] = {"status": p.get("status", "")}
    if p.get("resolution", "").strip():
        data["resolution"] = p["resolution"].strip()
    with _reported(request):
        updated = services.update_incident(
            _viewer(request), _actor(request), incident, data, version=_version(request)
        )
        messages.success(request, f"{updated.ref} is now {updated.get_status_display()}.")
    return _back(ref)


@role_required(staff=True)
@require_POST
def take_incident(request: HttpRequest, ref: str) -> HttpResponse:
    """The coordinator takes the incident: owner and, when it has none, their desk."""
    incident = _incident(request, ref)
    with _reported(request):
        services.update_incident(
            _viewer(request),
            _actor(request),
            incident,
            {"owner": request.user.get_username()},
            version=_version(request),
        )
        messages.success(request, f"You own {ref} now.")
    return _back(ref)


@role_required()
@require_POST
def party_status(request: HttpRequest, ref: str, party_id: int) -> HttpResponse:
    viewer = _viewer(request)
    incident = _incident(request, ref)
    with _reported(request):
        party = services.get_party(viewer, incident, party_id)
        updated = services.set_party_status(
            viewer,
            _actor(request),
            party,
            request.POST.get("status", ""),
            version=_version(request),
            via="portal",
            note=request.POST.get("note", "").strip(),
        )
        messages.success(request, f"{updated.organization.name}: {updated.get_status_display()}.")
    return _back(ref, f"party-{party_id}")


@role_required(staff=True)
@require_POST
def add_note(request: HttpRequest, ref: str) -> HttpResponse:
    incident = _incident(request, ref)
    with _reported(request):
        text = request.POST.get("text", "").strip()
        if not text:
            raise InputError("write the note first", location=Location(field="text"))
        services.add_note(_viewer(request), _actor(request), incident, text)
        messages.success(request, "Note added.")
    return _back(ref, "notes")


@role_required()
@require_POST
def add_status_note(request: HttpRequest, ref: str) -> HttpResponse:
    incident = _incident(request, ref)
    with _reported(request):
        status_notes.post(
            _viewer(request),
            _actor(request),
            incident,
            request.POST.get("text", ""),
            request.POST.get("tlp", "AMBER"),
        )
        messages.success(request, "Status note posted.")
    return _back(ref, "status-notes")


@role_required(staff=True)
@require_POST
def add_task(request: HttpRequest, ref: str) -> HttpResponse:
    incident = _incident(request, ref)
    p = request.POST
    with _reported(request):
        due_at = None
        if p.get("due_at", "").strip():
            try:
                due_at = parse_datetime(p["due_at"].strip())
            except ValueError:  # well formed but impossible, e.g. 2026-02-30T10:00
                due_at = None
            if due_at is None:
                raise InputError(
                    f"{p['due_at']!r} is not a date and time", location=Location(field="due_at")
                )
            if timezone.is_naive(due_at):
                due_at = timezone.make_aware(due_at, ZoneInfo("UTC"))
        services.add_task(
            _viewer(request),
            _actor(request),
            incident,
            title=p.get("title", "").strip(),
            owner_username=p.get("owner", "").strip(),
            due_at=due_at,
        )
        messages.success(request, "Task added.")
    return _back(ref, "tasks")


@role_required(staff=True)
@require_POST
def complete_task(request: HttpRequest, ref: str, task_id: int) -> HttpResponse:
    incident = _incident(request, ref)
    with _reported(request):
        task = services.get_task(_viewer(request), incident, task_id)
        services.complete_task(_viewer(request), _actor(request), task, version=_version(request))
        messages.success(request, f"Done: {task.title}.")
    return _back(ref, "tasks")


@role_required(staff=True)
@require_POST
def upload(request: HttpRequest, ref: str) -> HttpResponse:
    incident = _incident(request, ref)
    file = request.FILES.get("file")
    limit = attachment_max_bytes()
    with _reported(request):
        if file is None:
            raise InputError("choose a file to upload", location=Location(field="file"))
        if file.size is not None and file.size > limit:
            # Refused before reading it into memory; the service holds the same limit.
            raise InputError(
                f"{file.name} is {file.size} bytes; the limit is {limit} bytes",
                location=Location(field="file"),
            )
        attachment = services.add_attachment(
            _viewer(request),
            _actor(request),
            incident,
            filename=file.name or "attachment",
            content=file.read(),
            content_type=file.content_type or "application/octet-stream",
        )
        messages.success(request, f"Attached {attachment.filename}.")
    return _back(ref, "attachments")


@role_required(staff=True)
@require_GET
def download(request: HttpRequest, ref: str, attachment_id: int) -> HttpResponse:
    incident = _incident(request, ref)
    try:
        attachment = services.get_attachment(_viewer(request), incident, attachment_id)
    except NotFoundError:
        raise Http404 from None
    audit.disclosed(
        _actor(request),
        "incidents.attachment",
        ids=[attachment.pk],
        how="download",
        incident=incident.ref,
        sha256=attachment.sha256,
    )
    # Always a download, never rendered in the portal's origin (an uploaded HTML file).
    response = HttpResponse(bytes(attachment.data), content_type="application/octet-stream")
    safe_name = re.sub(r"[^\w.\- ]", "_", attachment.filename) or "attachment"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(staff=True)
@require_POST
def link(request: HttpRequest, ref: str) -> HttpResponse:
    incident = _incident(request, ref)
    with _reported(request):
        other = request.POST.get("other", "").strip()
        if not other:
            raise InputError(
                "name the other incident's reference", location=Location(field="other")
            )
        services.link_incidents(
            _viewer(request),
            _actor(request),
            incident,
            other,
            relation=request.POST.get("relation", IncidentLink.RELATED),
        )
        messages.success(request, f"Linked to {other}.")
    return _back(ref, "links")


class RefConverter:
    """An incident reference (DNSCC-2026-0001) in a URL: narrow, so that the sibling pages
    mounted under /incidents/ (reports/, desks/) are not taken for incidents."""

    regex = r"[A-Za-z][A-Za-z0-9]*-\d{4}-\d+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RefConverter, "incref")

patterns: list[URLPattern] = [
    path("", incident_list, name="list"),
    path("new/", new_incident, name="new"),
    path("new/severity", severity_preview, name="severity"),
    path("views/", save_view, name="save_view"),
    path("views/<int:view_id>/delete", delete_view, name="delete_view"),
    path("<incref:ref>/", incident_page, name="incident"),
    path("<incref:ref>/status", incident_status, name="status"),
    path("<incref:ref>/take", take_incident, name="take"),
    path("<incref:ref>/parties/<int:party_id>/status", party_status, name="party_status"),
    path("<incref:ref>/notes", add_note, name="note"),
    path("<incref:ref>/status-notes", add_status_note, name="status_note"),
    path("<incref:ref>/tasks", add_task, name="task"),
    path("<incref:ref>/tasks/<int:task_id>/done", complete_task, name="task_done"),
    path("<incref:ref>/attachments", upload, name="upload"),
    path("<incref:ref>/attachments/<int:attachment_id>/", download, name="attachment"),
    path("<incref:ref>/links", link, name="link"),
]
