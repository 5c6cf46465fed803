from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff, viewer_for
from dnscc.core.errors import InputError, Location, NotFoundError
from dnscc.core.tlp import can_see
from dnscc.directory import (
    contacts_import,
    export,
    iana_import,
    lookup,
    rootzone_import,
    services,
)
from dnscc.directory.models import Contact, Organization, Tld

router = Router(tags=["directory"])


class OrgOut(Schema):
    slug: str
    name: str
    kind: str
    region: str
    country: str
    time_zone: str
    languages: list[str]
    resource_constrained: bool
    constrained_reason: str
    constrained_by: str
    constrained_at: datetime | None
    vetting: str
    inferred: bool
    tlp: str


class ContactOut(Schema):
    id: int
    name: str
    kind: str
    email: str
    webhook_url: str
    phone: str
    language: str
    is_24x7: bool
    exercise_opt_in: bool = False
    tlp: str
    pgp_fingerprint: str
    pgp_algorithm: str
    pgp_expires: datetime | None
    verified_at: datetime | None
    status: str


class TldOut(Schema):
    name: str
    unicode_name: str
    kind: str
    country: str
    region: str
    operator: str | None
    manager: str | None
    iana_type: str
    rdap_urls: list[str]
    ns: list[str]
    ds: list[list[Any]]
    delegated: bool


class OrgDetailOut(OrgOut):
    tlds: list[str]
    contacts: list[ContactOut]
    inference_evidence: dict[str, Any]


class OrgIn(Schema):
    name: str | None = None
    kind: str | None = None
    region: str | None = None
    country: str | None = None
    time_zone: str | None = None
    languages: list[str] | None = None
    resource_constrained: bool | None = None
    constrained_reason: str | None = None
    tlp: str | None = None
    notes: str | None = None


class ContactIn(Schema):
    name: str
    kind: str = "role"
    email: str = ""
    webhook_url: str = ""
    phone: str = ""
    language: str = ""
    is_24x7: bool = False
    exercise_opt_in: bool = False
    pgp_key: str = ""
    tlp: str = "AMBER"


class MergeIn(Schema):
    sources: list[str]


class SplitIn(Schema):
    tlds: list[str]
    name: str


class VettingIn(Schema):
    level: str


class OrgQuery(Schema):
    q: str = ""
    region: str = ""
    kind: str = ""
    resource_constrained: bool | None = None
    vetting: str = ""
    inferred: bool | None = None
    unverified_contacts: bool = False


def _contact_out(c: Contact) -> dict[str, Any]:
    return {
        **{f: getattr(c, f) for f in ContactOut.model_fields if f != "status"},
        "status": services.contact_status(c),
    }


def _org_detail(request: HttpRequest, org: Organization) -> dict[str, Any]:
    viewer = viewer_for(request.user)
    contacts = services.disclose_contacts(viewer, audit.Actor.of(request.user), org, how="api")
    return {
        **{f: getattr(org, f) for f in OrgOut.model_fields},
        "tlds": sorted(org.tlds.filter(delegated=True).values_list("name", flat=True)),
        "contacts": [_contact_out(c) for c in contacts],
        "inference_evidence": org.inference_evidence,
    }


@router.get("/organizations", response=list[OrgOut])
def list_organizations(request: HttpRequest, filters: Query[OrgQuery]) -> list[Organization]:
    """Organisations: staff see the directory (filters: q, region, kind, inferred, vetting); a
    member sees its own."""
    viewer = require_role(request.user)
    return services.search_organizations(viewer, services.OrgFilters(**filters.dict()))


@router.post("/organizations", response={201: OrgDetailOut})
def create_organization(request: HttpRequest, payload: OrgIn) -> Status[dict[str, Any]]:
    """Staff: create an organisation."""
    viewer = viewer_for(request.user)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    raw = {("organization_" + k if k in ("name", "kind") else k): v for k, v in data.items()}
    raw["name"] = data.get("name")
    org = services.create_organization(viewer, audit.Actor.of(request.user), raw)
    return Status(201, _org_detail(request, org))


@router.get("/organizations/{slug}", response=OrgDetailOut)
def get_organization(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One organisation with its TLDs and contacts (staff, or a member of it)."""
    viewer = require_role(request.user)
    return _org_detail(request, services.get_organization(viewer, slug))


@router.patch("/organizations/{slug}", response=OrgDetailOut)
def update_organization(request: HttpRequest, slug: str, payload: OrgIn) -> dict[str, Any]:
    """Staff: change an organisation's attributes."""
    viewer = require_staff(request.user)
    org = services.get_organization(viewer, slug)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    raw = {("organization_" + k if k in ("name", "kind") else k): v for k, v in data.items()}
    services.update_organization(viewer, audit.Actor.of(request.user), org, raw)
    return _org_detail(request, org)


@router.post("/organizations/{slug}/confirm", response=OrgOut)
def confirm_organization(request: HttpRequest, slug: str) -> Organization:
    """Staff: confirm an inferred operator as a real organisation."""
    viewer = require_staff(request.user)
    org = services.get_organization(viewer, slug)
    return services.confirm_organization(viewer, audit.Actor.of(request.user), org, request.user)


@router.post("/organizations/{slug}/vetting", response=OrgOut)
def set_vetting(request: HttpRequest, slug: str, payload: VettingIn) -> Organization:
    """Staff: set an organisation's vetting level (unvetted, vetted, trusted)."""
    viewer = require_staff(request.user)
    org = services.get_organization(viewer, slug)
    return services.set_vetting(
        viewer, audit.Actor.of(request.user), org, payload.level, request.user
    )


@router.post("/organizations/{slug}/merge", response=OrgDetailOut)
def merge_organizations(request: HttpRequest, slug: str, payload: MergeIn) -> dict[str, Any]:
    """Staff: merge another organisation (its TLDs and contacts) into this one."""
    viewer = require_staff(request.user)
    target = services.get_organization(viewer, slug)
    sources = [services.get_organization(viewer, s) for s in payload.sources]
    services.merge_organizations(viewer, audit.Actor.of(request.user), target, sources)
    return _org_detail(request, target)


class LinkIn(Schema):
    operator: str


@router.post("/organizations/{slug}/link", response=OrgDetailOut)
def link_manager(request: HttpRequest, slug: str, payload: LinkIn) -> dict[str, Any]:
    """Staff: the TLDs this organisation manages (IANA) take `operator` as their technical
    operator."""
    viewer = require_staff(request.user)
    manager = services.get_organization(viewer, slug)
    operator = services.get_organization(viewer, payload.operator)
    services.link_manager(viewer, audit.Actor.of(request.user), manager, operator)
    return _org_detail(request, manager)


@router.post("/organizations/{slug}/split", response={201: OrgDetailOut})
def split_organization(request: HttpRequest, slug: str, payload: SplitIn) -> Status[dict[str, Any]]:
    """Staff: split TLDs off into a new organisation."""
    viewer = require_staff(request.user)
    org = services.get_organization(viewer, slug)
    new = services.split_organization(
        viewer, audit.Actor.of(request.user), org, payload.tlds, payload.name
    )
    return Status(201, _org_detail(request, new))


@router.post("/organizations/{slug}/contacts", response={201: ContactOut})
def add_contact(request: HttpRequest, slug: str, payload: ContactIn) -> Status[dict[str, Any]]:
    """Staff: add a contact (email and/or webhook, language, OpenPGP key) to an organisation."""
    viewer = require_staff(request.user)
    org = services.get_organization(viewer, slug)
    contact = services.add_contact(viewer, audit.Actor.of(request.user), org, payload.dict())
    return Status(201, _contact_out(contact))


def _contact(request: HttpRequest, contact_id: int) -> Contact:
    viewer = require_staff(request.user)
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or not can_see(viewer, contact.labelled()):
        raise NotFoundError(f"no contact {contact_id}")
    return contact


@router.post("/contacts/{contact_id}/verify")
def verify_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    """Staff: mail the contact a verification link."""
    contact = _contact(request, contact_id)
    services.start_verification(viewer_for(request.user), audit.Actor.of(request.user), contact)
    return {"queued": True, "email": contact.email}


@router.delete("/contacts/{contact_id}", response={204: None})
def delete_contact(request: HttpRequest, contact_id: int) -> Status[None]:
    """Staff: remove a contact. Irreversible."""
    contact = _contact(request, contact_id)
    services.delete_contact(viewer_for(request.user), audit.Actor.of(request.user), contact)
    return Status(204, None)


@router.get("/tlds", response=list[TldOut])
def list_tlds(
    request: HttpRequest, kind: str = "", region: str = "", q: str = ""
) -> list[dict[str, Any]]:
    """Staff: delegated TLDs with their operator, name servers and DS records."""
    viewer = require_role(request.user)
    qs = Tld.objects.filter(delegated=True).select_related("operator", "manager")
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region=region)
    if q:
        qs = qs.filter(name__contains=q.strip().lower().lstrip("."))
    return [_tld_out(viewer, t) for t in qs]


def _tld_out(viewer: Any, t: Tld) -> dict[str, Any]:
    operator = t.operator.slug if t.operator and can_see(viewer, t.operator.labelled()) else None
    manager = t.manager.slug if t.manager and can_see(viewer, t.manager.labelled()) else None
    return {
        "name": t.name,
        "unicode_name": t.unicode_name,
        "kind": t.kind,
        "country": t.country,
        "region": t.region,
        "operator": operator,
        "manager": manager,
        "iana_type": t.iana_type,
        "rdap_urls": t.rdap_urls,
        "ns": t.ns,
        "ds": t.ds,
        "delegated": t.delegated,
    }


@router.get("/tlds/{name}", response=TldOut)
def get_tld(request: HttpRequest, name: str) -> dict[str, Any]:
    """Staff: one TLD."""
    viewer = require_role(request.user)
    tld = (
        Tld.objects.filter(name=name.lower().strip("."))
        .select_related("operator", "manager")
        .first()
    )
    if tld is None:
        raise NotFoundError(f"no TLD .{name}")
    return _tld_out(viewer, tld)


@router.get("/lookup")
def lookup_name(request: HttpRequest, q: str) -> dict[str, Any]:
    """Who is responsible for a domain name, a TLD or an IP address (organisations you may see)."""
    viewer = require_role(request.user)
    return lookup.lookup_for(viewer, q).as_dict()


def _read_upload(upload: UploadedFile) -> str:
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise InputError(
            f"the file is {upload.size} bytes, over the limit of {settings.MAX_UPLOAD_BYTES}",
            location=Location(upload.name),
            hint="split it, or raise DNSCC_MAX_UPLOAD_BYTES",
        )
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", location=Location(upload.name)
        ) from None


@router.post("/import/rootzone")
def import_rootzone(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    allow_shrink: Form[bool] = False,
) -> dict[str, Any]:
    """Staff: import a root zone file (TLDs, NS, glue, DS; operators inferred) after its
    checks (ZONEMD, NSEC chain, serial, shrink); dry_run shows the diff only; allow_shrink
    accepts a zone with fewer delegations."""
    require_staff(request.user)
    report = rootzone_import.import_root_zone(
        _read_upload(file),
        actor=audit.Actor.of(request.user),
        dry_run=dry_run,
        name=file.name,
        allow_shrink=allow_shrink,
    )
    return report.as_dict()


@router.post("/import/iana-rootdb")
def import_iana_rootdb(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> dict[str, Any]:
    """Staff: import the IANA Root Zone Database export (CSV): each TLD's type, manager,
    RDAP URLs and DNSSEC flag; dry_run shows the diff only."""
    require_staff(request.user)
    report = iana_import.import_iana_rootdb(
        _read_upload(file), actor=audit.Actor.of(request.user), dry_run=dry_run, name=file.name
    )
    return report.as_dict()


@router.post("/import/contacts")
def import_contacts(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    format: Form[str] = "",
) -> dict[str, Any]:
    """Staff: import contacts from CSV or JSON; dry_run shows the diff only."""
    require_staff(request.user)
    report = contacts_import.import_contacts(
        _read_upload(file),
        source=file.name or "upload",
        fmt=format or None,
        actor=audit.Actor.of(request.user),
        dry_run=dry_run,
    )
    return report.as_dict()


@router.get("/export/{what}")
def export_directory(request: HttpRequest, what: str, format: str = "json") -> HttpResponse:
    """Staff: export organisations, TLDs or contacts as CSV or JSON (codes as stored)."""
    viewer = require_staff(request.user)
    text = export.export(what, format, viewer, audit.Actor.of(request.user))
    content_type = "application/json" if format == "json" else "text/csv"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dnscc-{what}.{format}"'
    return response
