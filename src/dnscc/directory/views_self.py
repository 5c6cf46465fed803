"""An organisation's members keep its contacts (directory.self_service)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError, NotFoundError, PermissionDenied
from dnscc.directory import self_service
from dnscc.directory.models import Contact
from dnscc.directory.services import contact_status
from dnscc.web.access import role_required


def _form(request: HttpRequest) -> dict[str, Any]:
    p = request.POST
    data: dict[str, Any] = {k: p.get(k, "") for k in self_service.MEMBER_FIELDS}
    data["is_24x7"] = "1" if p.get("is_24x7") else "0"
    data["exercise_opt_in"] = "1" if p.get("exercise_opt_in") else "0"
    return data


def _page(request: HttpRequest, *, status: int = 200, form: Any = None) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        org = self_service.own_organization(viewer)
    except PermissionDenied:
        raise Http404 from None
    contacts = self_service.own_contacts(viewer)
    audit.disclosed(audit.Actor.of(request.user), "directory.contact", ids=[c.pk for c in contacts])
    return render(
        request,
        "directory/my_contacts.html",
        {
            "org": org,
            "rows": [{"c": c, "status": contact_status(c)} for c in contacts],
            "kinds": Contact.KIND_CHOICES,
            "form": form or {},
        },
        status=status,
    )


@role_required()
def my_contacts(request: HttpRequest) -> HttpResponse:
    return _page(request)


@role_required()
@require_POST
def my_contact_action(request: HttpRequest, action: str, contact_id: int = 0) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = audit.Actor.of(request.user)
    try:
        if action == "add":
            contact = self_service.add_own_contact(viewer, actor, _form(request))
            messages.success(
                request,
                f"{contact.name} added."
                + (f" A verification link was sent to {contact.email}." if contact.email else ""),
            )
        elif action == "edit":
            before = self_service._own_contact(viewer, contact_id).email
            contact = self_service.update_own_contact(
                viewer, actor, contact_id, _form(request), seen=request.POST.get("seen", "")
            )
            note = (
                f" {contact.email} stays unverified until its owner follows the link we sent."
                if contact.email != before and contact.email
                else ""
            )
            messages.success(request, f"{contact.name} saved.{note}")
        elif action == "remove":
            contact = self_service._own_contact(viewer, contact_id)
            if request.POST.get("confirm") != "yes":
                return render(request, "directory/my_contact_remove.html", {"c": contact})
            self_service.remove_own_contact(viewer, actor, contact_id)
            messages.success(request, f"{contact.name} removed.")
        elif action == "verify":
            contact = self_service.resend_verification(viewer, actor, contact_id)
            messages.success(request, f"A verification link was sent to {contact.email}.")
        else:
            raise Http404
    except NotFoundError:
        raise Http404 from None
    except PermissionDenied:
        raise Http404 from None
    except DnsccError as exc:
        messages.error(request, str(exc))
        if action == "add":
            return _page(request, status=422, form=request.POST)
    return redirect("directory:my_contacts")
