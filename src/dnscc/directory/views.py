from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError, InputError, NotFoundError, ValidationErrors
from dnscc.core.regions import Region
from dnscc.core.tlp import can_see
from dnscc.directory import contacts_import, iana_import, lookup, rootzone_import, services
from dnscc.directory.constrained import CONSTRAINED_REASONS
from dnscc.directory.models import Contact, Organization, RootZoneLoad, Tld
from dnscc.web import confirm
from dnscc.web.access import role_required


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


@role_required(staff=True)
def organizations(request: HttpRequest) -> HttpResponse:
    g = request.GET
    filters = services.OrgFilters(
        q=g.get("q", ""),
        region=g.get("region", ""),
        kind=g.get("kind", ""),
        resource_constrained=_flag(g.get("rc")),
        vetting=g.get("vetting", ""),
        inferred=_flag(g.get("inferred")),
        unverified_contacts=g.get("unverified") == "1",
    )
    found = services.search_organizations(request.viewer, filters)  # type: ignore[attr-defined]
    page = Paginator(found, 50).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "total": len(found),
        "f": g,
        "query": query.urlencode(),
        "regions": list(Region),
        "kinds": Organization.KIND_CHOICES,
        "vettings": Organization.VETTING_CHOICES,
    }
    template = (
        "directory/_org_rows.html"
        if request.headers.get("HX-Request")
        else "directory/organizations.html"
    )
    return render(request, template, context)


def _detail_context(request: HttpRequest, org: Organization) -> dict[str, Any]:
    viewer = request.viewer  # type: ignore[attr-defined]
    contacts = services.disclose_contacts(viewer, audit.Actor.of(request.user), org, how="view")
    # The HMAC secret of each webhook contact, for the operator to verify what we send
    # (docs/outreach.md); shown on this page only, whose viewing is audited above.
    secrets = {c.pk: services.webhook_secret(c.pk).decode() for c in contacts if c.webhook_url}
    return {
        "org": org,
        "tlds": org.tlds.filter(delegated=True).select_related("manager").order_by("name"),
        "managed": org.managed_tlds.filter(delegated=True)
        .select_related("operator")
        .order_by("name"),
        "contacts": [(c, services.contact_status(c), secrets.get(c.pk)) for c in contacts],
        "constrained_reasons": CONSTRAINED_REASONS,
        "root_servers": org.root_servers.all(),
        "regions": list(Region),
        "kinds": Organization.KIND_CHOICES,
        "vettings": Organization.VETTING_CHOICES,
        "contact_kinds": Contact.KIND_CHOICES,
        "staff": viewer.is_staff,
    }


@role_required()
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        org = services.get_organization(viewer, slug)
    except NotFoundError:
        raise Http404 from None
    if not viewer.is_staff and viewer.organization_id != org.pk:
        raise Http404  # operators and partners see their own organisation only
    return render(request, "directory/organization.html", _detail_context(request, org))


@role_required()
def my_organization(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    org = Organization.objects.filter(pk=viewer.organization_id).first()
    if org is None:
        raise Http404
    return redirect("directory:organization", slug=org.slug)


@require_http_methods(["POST"])
@role_required(staff=True)
def organization_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = audit.Actor.of(request.user)
    p = request.POST
    try:
        org = services.get_organization(viewer, slug)
    except NotFoundError:
        raise Http404 from None
    try:
        if action == "confirm":
            services.confirm_organization(viewer, actor, org, request.user)
            messages.success(request, f"{org.name} confirmed.")
        elif action == "vet":
            services.set_vetting(viewer, actor, org, p.get("level", ""), request.user)
            messages.success(request, f"Vetting set to {org.vetting}.")
        elif action == "edit":
            data = {
                k: p.get(k, "")
                for k in ("region", "country", "time_zone", "languages", "tlp", "notes")
            }
            data["organization_name"] = p.get("name", "")
            data["organization_kind"] = p.get("kind", "")
            data["resource_constrained"] = "1" if p.get("resource_constrained") else "0"
            data["constrained_reason"] = p.get("constrained_reason", "")
            services.update_organization(viewer, actor, org, data)
            messages.success(request, "Saved.")
        elif action == "merge":
            source = services.get_organization(viewer, p.get("source", "").strip())
            services.merge_organizations(viewer, actor, org, [source])
            messages.success(request, f"Merged {source.name} into {org.name}.")
        elif action == "link":
            operator = services.get_organization(viewer, p.get("operator", "").strip())
            changed = services.link_manager(viewer, actor, org, operator)
            messages.success(
                request,
                f"The TLDs of {org.name} are run by {operator.name} ({len(changed)} changed).",
            )
        elif action == "split":
            new = services.split_organization(
                viewer, actor, org, p.get("tlds", "").replace(",", " ").split(), p.get("name", "")
            )
            messages.success(request, f"Created {new.name}.")
            return redirect("directory:organization", slug=new.slug)
        elif action == "add_contact":
            services.add_contact(
                viewer, actor, org, {k: p.get(k, "") for k in p if k != "csrfmiddlewaretoken"}
            )
            messages.success(request, "Contact added.")
        elif action in ("verify_contact", "delete_contact"):
            contact = org.contacts.filter(pk=p.get("contact", "0") or 0).first()
            if contact is None or not can_see(viewer, contact.labelled()):
                raise Http404  # as the API: staff get no implicit access to a RED contact
            if action == "verify_contact":
                services.start_verification(viewer, actor, contact)
                messages.success(request, f"Verification sent to {contact.email}.")
            else:
                if not confirm.confirmed(request):
                    return confirm.ask(
                        request,
                        title=f"Remove {contact.name} from {org.name}?",
                        text=f"{contact.email or contact.webhook_url} will no longer receive"
                        " the center's notices; its verification and OpenPGP key go with it.",
                        button="Yes, remove the contact",
                        back=reverse("directory:organization", args=[org.slug]),
                    )
                services.delete_contact(viewer, actor, contact)
                messages.success(request, "Contact removed.")
        else:
            raise Http404
    except DnsccError as exc:
        messages.error(request, str(exc))
    return redirect("directory:organization", slug=org.slug)


@role_required(staff=True)
def tlds(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = Tld.objects.filter(delegated=True).select_related("operator", "manager")
    if g.get("kind"):
        qs = qs.filter(kind=g["kind"])
    if g.get("region"):
        qs = qs.filter(region=g["region"])
    if g.get("q"):
        term = g["q"].strip().lower().lstrip(".")
        qs = qs.filter(Q(name__contains=term) | Q(unicode_name__icontains=term))
    if g.get("signed") in ("0", "1"):
        qs = qs.exclude(ds=[]) if g["signed"] == "1" else qs.filter(ds=[])
    page = Paginator(qs.order_by("name"), 100).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "directory/tlds.html",
        {
            "page": page,
            "f": g,
            "query": query.urlencode(),
            "regions": list(Region),
            "kinds": Tld.KIND_CHOICES,
            "load": RootZoneLoad.objects.first(),
            "counts": dict(
                Tld.objects.filter(delegated=True).values_list("kind").annotate(n=Count("id"))
            ),
        },
    )


@role_required()
def lookup_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    results, error = [], None
    if q:
        for item in q.replace(",", " ").split()[:100]:
            try:
                results.append(lookup.lookup_for(request.viewer, item))  # type: ignore[attr-defined]
            except InputError as exc:
                error = f"{item}: {exc.problem}"
    template = (
        "directory/_lookup_results.html"
        if request.headers.get("HX-Request")
        else "directory/lookup.html"
    )
    return render(request, template, {"q": q, "results": results, "error": error})


@role_required(staff=True)
def import_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"max_bytes": settings.MAX_UPLOAD_BYTES}
    if request.method == "POST":
        upload = request.FILES.get("file")
        what = request.POST.get("what")
        dry_run = bool(request.POST.get("dry_run"))
        allow_shrink = bool(request.POST.get("allow_shrink"))
        context.update(what=what, dry_run=dry_run, allow_shrink=allow_shrink)
        try:
            if upload is None:
                raise InputError("choose a file to upload")
            if upload.size and upload.size > settings.MAX_UPLOAD_BYTES:
                raise InputError(
                    f"{upload.name} is {upload.size} bytes, over the limit of "
                    f"{settings.MAX_UPLOAD_BYTES} bytes"
                )
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InputError(f"{upload.name} is not UTF-8 text (byte {exc.start})") from None
            actor = audit.Actor.of(request.user)
            if what == "rootzone":
                context["rootzone"] = rootzone_import.import_root_zone(
                    text if text.endswith("\n") else text + "\n",
                    actor=actor,
                    dry_run=dry_run,
                    name=upload.name,
                    allow_shrink=allow_shrink,
                )
            elif what == "iana":
                context["iana"] = iana_import.import_iana_rootdb(
                    text if text.endswith("\n") else text + "\n",
                    actor=actor,
                    dry_run=dry_run,
                    name=upload.name,
                )
            elif what == "contacts":
                context["contacts"] = contacts_import.import_contacts(
                    text, source=upload.name or "upload", actor=actor, dry_run=dry_run
                )
            else:
                raise InputError("choose what the file holds: a root zone or contacts")
        except ValidationErrors as exc:
            context["errors"] = exc.errors
        except InputError as exc:
            context["errors"] = [exc]
    return render(request, "directory/import.html", context)


@require_http_methods(["GET", "POST"])
def verify_contact(request: HttpRequest, contact_id: int, token: str) -> HttpResponse:
    """Public: the link in the verification mail. GET asks, POST confirms, so that mail
    scanners that follow links do not verify on the contact's behalf."""
    if request.method == "GET":
        return render(request, "directory/verify.html", {"confirmed": None})
    try:
        contact = services.confirm_verification(contact_id, token)
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        return render(request, "directory/verify.html", {"error": str(exc)}, status=410)
    return render(request, "directory/verify.html", {"confirmed": contact})
