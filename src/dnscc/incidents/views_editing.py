"""Portal pages that edit an incident's parties, scope and notices (incidents.editing):

- add a party found by searching the directory, or every resource-constrained operator of
  a region; remove one (after a confirmation);
- change the scope: the diff of its parties is shown before anything is saved, and a
  drop of a party that acknowledged already needs its own confirmation;
- notify: a preview of each language version of the notice, with a free-text addition,
  before it is sent.

Every form carries the versions it was loaded with: a change someone else made meanwhile
is a conflict message, never a silent overwrite.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from dnscc.core.errors import DnsccError, NotFoundError, PermissionDenied
from dnscc.incidents import constrained, editing, services
from dnscc.incidents.models import Incident, Party
from dnscc.incidents.views import (
    SCOPE_FIELDS,
    _actor,
    _back,
    _errors,
    _incident,
    _lines,
    _reported,
    _version,
    _viewer,
)
from dnscc.web import confirm
from dnscc.web.access import role_required

MAX_RESULTS = 20


def _scope_form(incident: Incident) -> dict[str, str]:
    scope = incident.scope or {}
    return {k: "\n".join(scope.get(k, [])) for k in SCOPE_FIELDS}


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def edit_scope(request: HttpRequest, ref: str) -> HttpResponse:
    """GET: the scope form. POST "preview": the diff. POST "save": the change (with
    `confirm_drop` when it drops parties that acknowledged)."""
    incident = _incident(request, ref)
    form: dict[str, Any] = {**_scope_form(incident), "version": incident.version}
    diff = None
    if request.method == "POST":
        p = request.POST
        form = {**{k: p.get(k, "") for k in SCOPE_FIELDS}, "version": p.get("version", "")}
        scope = {k: _lines(form[k]) for k in SCOPE_FIELDS}
        try:
            if p.get("action") == "save":
                services.update_incident(
                    _viewer(request),
                    _actor(request),
                    incident,
                    {"scope": scope},
                    version=_version(request),
                    confirm_drop=p.get("confirm_drop") == "yes",
                )
                messages.success(request, f"The scope of {ref} is saved.")
                return _back(ref, "scope")
            diff = editing.scope_diff(incident, scope)
        except NotFoundError:
            raise Http404 from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None
        except DnsccError as exc:
            _errors(request, exc)
            try:  # show what the change would do, beside the refusal
                diff = editing.scope_diff(incident, scope)
            except DnsccError:
                diff = None
    return render(
        request,
        "incidents/incident_scope.html",
        {"i": incident, "form": form, "diff": diff},
        status=200,
    )


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def add_party(request: HttpRequest, ref: str) -> HttpResponse:
    """GET: search the directory (htmx swaps the results in as one types). POST: add the
    organisation chosen, with its role and why."""
    from dnscc.directory.services import OrgFilters, search_organizations

    incident = _incident(request, ref)
    viewer = _viewer(request)
    if request.method == "POST":
        with _reported(request):
            party = services.add_party(
                viewer,
                _actor(request),
                incident,
                request.POST.get("organization", ""),
                role=request.POST.get("role", "affected"),
                reason=request.POST.get("reason", "").strip(),
            )
            messages.success(request, f"{party.organization.name} is a party now.")
            return _back(ref, f"party-{party.pk}")
    q = request.GET.get("q", "").strip()[:200]
    present = set(incident.parties.values_list("organization_id", flat=True))
    results = []
    if q:
        found = search_organizations(viewer, OrgFilters(q=q))
        results = [o for o in found if o.pk not in present][:MAX_RESULTS]
    context = {
        "i": incident,
        "q": q,
        "results": results,
        "roles": Party._meta.get_field("role").choices,
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "incidents/_party_search.html", context)
    return render(request, "incidents/incident_party_add.html", context)


@role_required(staff=True)
@require_POST
def add_constrained_parties(request: HttpRequest, ref: str) -> HttpResponse:
    """Add every resource-constrained operator of a region (empty: the regions of the
    scope's TLDs) as parties. Nothing is sent: notifying them is the next, confirmed, step."""
    incident = _incident(request, ref)
    region = request.POST.get("region", "").strip()
    with _reported(request):
        added = constrained.add_constrained_parties(
            _viewer(request), _actor(request), incident, regions=[region] if region else None
        )
        if added:
            names = ", ".join(p.organization.name for p in added)
            messages.success(
                request, f"{len(added)} resource-constrained operator(s) added: {names}."
            )
        else:
            messages.info(request, "Every resource-constrained operator there is a party already.")
    return _back(ref, "parties")


@role_required(staff=True)
@require_POST
def remove_party(request: HttpRequest, ref: str, party_id: int) -> HttpResponse:
    """Remove a party (a party never contacted is deleted; one already contacted is set
    not affected), after a confirmation."""
    incident = _incident(request, ref)
    with _reported(request):
        party = services.get_party(_viewer(request), incident, party_id)
        if party.version != _version(request):
            raise services.stale_conflict(
                f"the party of {party.organization.name}",
                party.status_changed_by,
                party.status_changed_at,
            )
        if not confirm.confirmed(request):
            contacted = party.status != Party.NOT_CONTACTED or party.notified_at
            return confirm.ask(
                request,
                title=f"Remove {party.organization.name} from {incident.ref}?",
                text=(
                    "It was contacted already: it stays on the record, set not affected."
                    if contacted
                    else "It was never contacted: it is taken off the incident."
                ),
                button="Yes, remove the party",
                back=reverse("incidents:incident", args=[ref]) + f"#party-{party.pk}",
            )
        services.remove_party(_viewer(request), _actor(request), party)
        messages.success(request, f"{party.organization.name} removed from {ref}.")
    return _back(ref, "parties")


def _party_ids(request: HttpRequest) -> list[int] | None:
    raw = request.POST.getlist("party") if request.method == "POST" else []
    ids = [int(x) for x in raw if x.isdigit()]
    return ids if ids or request.POST.get("chosen") else None


@role_required(staff=True)
@require_http_methods(["GET", "POST"])
def notify(request: HttpRequest, ref: str) -> HttpResponse:
    """GET or POST without `confirm`: the preview (each language version, who gets it).
    POST with `confirm=yes`: send, unless a party changed since the preview was shown."""
    incident = _incident(request, ref)
    viewer = _viewer(request)
    message = request.POST.get("message", "").strip() if request.method == "POST" else ""
    party_ids = _party_ids(request)
    if request.method == "POST" and confirm.confirmed(request):
        with _reported(request):
            seen = {
                int(k.removeprefix("version_")): int(v)
                for k, v in request.POST.items()
                if k.startswith("version_") and k[8:].isdigit() and v.isdigit()
            }
            editing.check_versions(incident, seen)
            result = services.notify_parties(
                viewer,
                _actor(request),
                incident,
                party_ids=party_ids,
                message=message,
                user=request.user,
            )
            sent, parties = result.get("messages", 0), result.get("parties", 0)
            text = f"Queued {sent} message(s) to {parties} party(ies)."
            if result.get("unreachable"):
                text += f" No channel for: {', '.join(result['unreachable'])}."
            messages.success(request, text)
            return _back(ref, "parties")
    preview: dict[str, Any] | None = None
    try:
        preview = editing.notice_preview(viewer, incident, party_ids, message)
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        _errors(request, exc)
    all_parties = list(incident.parties.select_related("organization"))
    chosen = {p.pk for p in preview["parties"]} if preview else set()
    context = {
        "i": incident,
        "preview": preview,
        "all_parties": all_parties,
        "chosen": chosen,
        "message": message,
    }
    return render(request, "incidents/incident_notify.html", context)


patterns: list[URLPattern] = [
    path("<incref:ref>/scope", edit_scope, name="scope"),
    path("<incref:ref>/parties/add", add_party, name="party_add"),
    path(
        "<incref:ref>/parties/constrained",
        add_constrained_parties,
        name="party_add_constrained",
    ),
    path("<incref:ref>/parties/<int:party_id>/remove", remove_party, name="party_remove"),
    path("<incref:ref>/notify", notify, name="notify"),
]
