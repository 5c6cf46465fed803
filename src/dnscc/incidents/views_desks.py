"""Portal pages of the duty desks: who is on duty now and next, the rota, the latest
handover per desk (acknowledged by the incoming desk), open SLA breaches per desk."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.core.errors import ConflictError, NotFoundError, PermissionDenied
from dnscc.incidents import desks
from dnscc.web.access import role_required


@role_required(staff=True)
def desk_status(request: HttpRequest) -> HttpResponse:
    status = desks.desk_status()
    return render(request, "incidents/desks.html", {"s": status})


@role_required(staff=True)
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        found = desks.get_handover(viewer, pk)
    except NotFoundError:
        raise Http404 from None
    audit.disclosed(audit.Actor.of(request.user), "incidents.handover", ids=[found.pk], how="view")
    return render(
        request,
        "incidents/handover.html",
        {
            "h": found,
            "row": desks.handover_row(found),
            "note": found.note or {},
            "may_acknowledge": desks.may_acknowledge(viewer, found),
        },
    )


@require_POST
@role_required(staff=True)
def handover_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        found = desks.get_handover(viewer, pk)
        desks.acknowledge_handover(viewer, audit.Actor.of(request.user), found)
        messages.success(request, f"Handover to the {found.to_desk} desk acknowledged.")
    except NotFoundError:
        raise Http404 from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from None
    except ConflictError as exc:
        messages.error(request, str(exc))
    return redirect("incidents:handover", pk=pk)


patterns: list[URLPattern] = [
    path("desks/", desk_status, name="desk_status"),
    path("handovers/<int:pk>/", handover, name="handover"),
    path("handovers/<int:pk>/acknowledge", handover_acknowledge, name="handover_acknowledge"),
]
