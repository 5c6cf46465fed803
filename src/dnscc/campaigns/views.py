"""Portal pages of campaigns: list, new, campaign (lists and their import reports, slices,
upload, deliver, end), slice (manifests, acknowledge, outcomes upload, per-name table)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.campaigns import reports, services
from dnscc.campaigns.models import ACTION_CHOICES, LEGAL_BASIS_CHOICES, Campaign, Slice, Target
from dnscc.campaigns.reports import RESTRICTED
from dnscc.core.errors import (
    DnsccError,
    InputError,
    Location,
    NotFoundError,
    PermissionDenied,
    ValidationErrors,
)
from dnscc.core.exercise_mark import wants_exercises
from dnscc.core.tlp import TLP, can_see
from dnscc.web import confirm
from dnscc.web.access import role_required

TARGETS_PER_PAGE = 200


def _errors(request: HttpRequest, exc: DnsccError) -> None:
    if isinstance(exc, ValidationErrors):
        for e in exc.errors[:50]:
            messages.error(request, str(e))
        # `errors` may be capped (an outcome file keeps the first thousand): the total
        # is error_count when the service gives it.
        total = max(getattr(exc, "error_count", 0), len(exc.errors))
        if total > 50:
            messages.error(request, f"... and {total - 50} more problem(s).")
    else:
        messages.error(request, str(exc))


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    try:
        return services.get_campaign(request.viewer, slug)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


def _slice(request: HttpRequest, campaign: Campaign, slice_id: int) -> Slice:
    try:
        return services.get_slice(request.viewer, campaign, slice_id)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


@role_required()
def campaign_list(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    show = wants_exercises(request.GET)
    rows = services.listed_campaigns(viewer, exercises=show)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    audit.disclosed(audit.Actor.of(request.user), "campaigns.campaign", ids=[c.slug for c in page])
    return render(
        request,
        "campaigns/campaign_list.html",
        {"page": page, "is_staff": viewer.is_staff, "exercises": show},
    )


@role_required(staff=True)
def campaign_new(request: HttpRequest) -> HttpResponse:
    # From an incident's page, the form comes with its reference filled in.
    form = (
        request.POST if request.method == "POST" else {"incident": request.GET.get("incident", "")}
    )
    if request.method == "POST":
        try:
            due = _date(request.POST.get("due_date", ""), "due_date")
            campaign = services.create_campaign(
                request.viewer,  # type: ignore[attr-defined]
                audit.Actor.of(request.user),
                incident_ref=request.POST.get("incident", ""),
                title=request.POST.get("title", ""),
                due_date=due,
                description=request.POST.get("description", ""),
                sinkhole_ns=request.POST.get("sinkhole_ns", "").split(),
                tlp=request.POST.get("tlp", "AMBER"),
                user=request.user,
            )
        except DnsccError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Campaign created. Load its names.")
            return redirect("campaigns:campaign", slug=campaign.slug)
    return render(
        request,
        "campaigns/campaign_new.html",
        {"form": form, "tlps": [t.value for t in TLP if t is not TLP.RED]},
    )


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{value!r} is not a date", location=Location(field=field), hint="write YYYY-MM-DD"
        ) from None


@role_required()
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    campaign = _campaign(request, slug)
    slices = []
    visible = list(services.visible_slices(viewer, campaign))
    deliveries = services.slice_deliveries(visible) if viewer.is_staff else {}
    for s in visible:
        # A TLP:RED organisation stays unnamed to whoever may not see it.
        shown = viewer.organization_id == s.organization_id or can_see(
            viewer, s.organization.labelled()
        )
        slices.append(
            {
                "slice": s,
                "deadline_local": services.local_deadline(s),
                "delivery": deliveries.get(s.pk) if s.state != Slice.PENDING else None,
                "organization": s.organization.name if shown else RESTRICTED,
                "region": s.organization.region if shown else "",
                # Staff see which registries are resource-constrained, and why.
                "constrained": (
                    s.organization.constrained_reason or "resource-constrained"
                    if shown and viewer.is_staff and s.organization.resource_constrained
                    else ""
                ),
            }
        )
    lists = (
        [services.name_list_report(nl) for nl in campaign.lists.all()] if viewer.is_staff else []
    )
    audit.disclosed(audit.Actor.of(request.user), "campaigns.campaign", ids=[campaign.slug])
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "slices": slices,
            "lists": lists,
            "is_staff": viewer.is_staff,
            "actions": ACTION_CHOICES,
            "bases": LEGAL_BASIS_CHOICES,
            "pending": sum(1 for s in slices if s["slice"].state == Slice.PENDING),
            "constrained": reports.constrained_reach(campaign.pk) if viewer.is_staff else None,
        },
    )


@role_required(staff=True)
@require_POST
def campaign_names(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InputError("choose a file to upload", location=Location(field="file"))
        expires = request.POST.get("expires_at", "").strip()
        name_list = services.load_names(
            request.viewer,  # type: ignore[attr-defined]
            audit.Actor.of(request.user),
            campaign,
            upload,
            filename=upload.name or "upload",
            action=request.POST.get("action", ""),
            legal_basis=request.POST.get("legal_basis", ""),
            legal_reference=request.POST.get("legal_reference", ""),
            expires_at=(
                dt.datetime.combine(_date(expires, "expires_at"), dt.time(23, 59), tzinfo=dt.UTC)
                if expires
                else None
            ),
            encoding=request.POST.get("encoding", "").strip() or None,
        )
    except DnsccError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            f"{name_list.source}: {name_list.added} name(s) added, {name_list.duplicates}"
            f" duplicate(s), {name_list.invalid} invalid line(s), {name_list.unassigned}"
            " without a known operator.",
        )
    return redirect("campaigns:campaign", slug=campaign.slug)


@role_required(staff=True)
@require_POST
def campaign_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = audit.Actor.of(request.user)
    if action in ("deliver", "end") and not confirm.confirmed(request):
        return _ask(request, campaign, action)
    try:
        if action == "deliver":
            result = services.deliver(viewer, actor, campaign, user=request.user)
            messages.success(
                request,
                f"{result['slices']} slice(s) delivered, {result['messages']} message(s) queued.",
            )
            if result["unreachable"]:
                messages.error(
                    request,
                    "No contact channel for: " + ", ".join(result["unreachable"]),
                )
        elif action == "end":
            services.end_campaign(viewer, actor, campaign)
            messages.success(request, "Campaign ended.")
        else:
            raise Http404
    except DnsccError as exc:
        _errors(request, exc)
    return redirect("campaigns:campaign", slug=campaign.slug)


def _ask(request: HttpRequest, campaign: Campaign, action: str) -> HttpResponse:
    back = reverse("campaigns:campaign", args=[campaign.slug])
    if action == "deliver":
        pending = campaign.slices.filter(state=Slice.PENDING)
        return confirm.ask(
            request,
            title=f"Deliver {pending.count()} slice(s) of {campaign.title}?",
            text="Each registry gets its signed manifest of names to act on, with its deadline"
            " in its own time zone; a delivered manifest cannot be called back.",
            facts=[
                f"{s.organization.name}: {s.names} name(s), due {s.deadline:%Y-%m-%d %H:%M} UTC"
                for s in pending.select_related("organization")[:20]
            ],
            button="Yes, deliver the slices",
            back=back,
        )
    return confirm.ask(
        request,
        title=f"End the campaign {campaign.title}?",
        text="No more deliveries, reminders or escalations; the report and the outcomes stay."
        " An ended campaign cannot be started again.",
        button="Yes, end the campaign",
        back=back,
    )


@role_required()
def slice_detail(request: HttpRequest, slug: str, slice_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    campaign = _campaign(request, slug)
    slice_ = _slice(request, campaign, slice_id)
    targets = Target.objects.filter(slice=slice_).order_by("name")
    outcome = request.GET.get("outcome", "")
    if outcome == "none":
        targets = targets.filter(outcome="")
    elif outcome:
        targets = targets.filter(outcome=outcome)
    q = request.GET.get("q", "").strip().lower()
    if q:
        targets = targets.filter(name__contains=q)
    page = Paginator(
        targets.only(
            "name", "tld", "action", "outcome", "outcome_note", "outcome_at", "verified_ok"
        ),
        TARGETS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    audit.disclosed(audit.Actor.of(request.user), "campaigns.slice", ids=[slice_.pk])
    return render(
        request,
        "campaigns/slice_detail.html",
        {
            "campaign": campaign,
            "slice": slice_,
            "deadline_local": services.local_deadline(slice_),
            "delivery": services.slice_deliveries([slice_])[slice_.pk]
            if viewer.is_staff and slice_.delivered_at
            else None,
            "page": page,
            "query": query.urlencode(),
            "f": request.GET,
            "outcomes": Target.OUTCOME_CHOICES,
            "is_staff": viewer.is_staff,
            "formats": [f for f in services.MANIFEST_FORMATS],
            "form_rows": range(FORM_ROWS),
        },
    )


@role_required()
def slice_manifest(request: HttpRequest, slug: str, slice_id: int, fmt: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    slice_ = _slice(request, campaign, slice_id)
    if fmt not in services.MANIFEST_FORMATS:
        raise Http404
    try:
        content, content_type = services.manifest(
            request.viewer,  # type: ignore[attr-defined]
            audit.Actor.of(request.user),
            slice_,
            fmt,
        )
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        # e.g. a manifest that cannot be built: say why on the slice's page, not a 500.
        _errors(request, exc)
        return redirect("campaigns:slice", slug=campaign.slug, slice_id=slice_.pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{services.manifest_filename(slice_, fmt)}"'
    )
    return response


@role_required()
@require_POST
def slice_acknowledge(request: HttpRequest, slug: str, slice_id: int) -> HttpResponse:
    campaign = _campaign(request, slug)
    slice_ = _slice(request, campaign, slice_id)
    try:
        services.acknowledge_slice(
            request.viewer,  # type: ignore[attr-defined]
            audit.Actor.of(request.user),
            slice_,
            via="portal",
        )
        messages.success(request, "Slice acknowledged.")
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    except DnsccError as exc:
        _errors(request, exc)
    return redirect("campaigns:slice", slug=campaign.slug, slice_id=slice_.pk)


FORM_ROWS = 5


def _form_outcomes(request: HttpRequest) -> list[dict[str, str]]:
    """The rows of the "one or a few names" form that name a name."""
    p = request.POST
    rows = []
    for i in range(FORM_ROWS):
        name = p.get(f"name_{i}", "").strip()
        if name:
            rows.append(
                {"name": name, "outcome": p.get(f"outcome_{i}", ""), "note": p.get(f"note_{i}", "")}
            )
    return rows


@role_required()
@require_POST
def slice_outcomes(request: HttpRequest, slug: str, slice_id: int) -> HttpResponse:
    campaign = _campaign(request, slug)
    slice_ = _slice(request, campaign, slice_id)
    upload = request.FILES.get("file")
    rows = _form_outcomes(request)
    try:
        if upload is None and not rows:
            raise InputError(
                "name at least one name, or choose a CSV file to upload",
                location=Location(field="file"),
            )
        # One or a few names in the form: the same parser and checks as a CSV upload.
        stream = upload if upload is not None else services.outcomes_from_json(rows)
        result = services.record_outcomes(
            request.viewer,  # type: ignore[attr-defined]
            audit.Actor.of(request.user),
            slice_,
            stream,
            filename=(upload.name or "outcomes.csv") if upload is not None else "form",
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    except DnsccError as exc:
        messages.error(request, "Nothing was recorded: the file has problems.")
        _errors(request, exc)
    else:
        messages.success(request, f"{result['applied']} outcome(s) recorded.")
    return redirect("campaigns:slice", slug=campaign.slug, slice_id=slice_.pk)


patterns: list[URLPattern] = [
    path("", campaign_list, name="list"),
    path("new/", campaign_new, name="new"),
    path("<slug:slug>/", campaign_detail, name="campaign"),
    path("<slug:slug>/names/", campaign_names, name="names"),
    path("<slug:slug>/deliver/", campaign_action, {"action": "deliver"}, name="deliver"),
    path("<slug:slug>/end/", campaign_action, {"action": "end"}, name="end"),
    path("<slug:slug>/slices/<int:slice_id>/", slice_detail, name="slice"),
    path(
        "<slug:slug>/slices/<int:slice_id>/manifest.<str:fmt>",
        slice_manifest,
        name="manifest",
    ),
    path(
        "<slug:slug>/slices/<int:slice_id>/acknowledge/",
        slice_acknowledge,
        name="slice_acknowledge",
    ),
    path("<slug:slug>/slices/<int:slice_id>/outcomes/", slice_outcomes, name="slice_outcomes"),
]
