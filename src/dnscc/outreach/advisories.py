"""Advisory services: draft, review, publish (validated CSAF 2.0, hashed and signed), serve
as a CSAF provider, and distribute to a target audience through the outbox.

Revisions: a published advisory is revised by starting a revision (back to draft), editing,
saying what changed (`revision_summary`), review and publication again. The document keeps
its tracking id, URL and first release date; `tracking.version` counts up and the revision
history grows by one entry. Until the revision is published the last published version is
what everyone else sees and what the CSAF provider serves. The TLP does not change in a
revision (the document's folder is its TLP): a wider or narrower audience is a new advisory.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDenied,
    UnavailableError,
    ValidationErrors,
)
from dnscc.core.regions import Region
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.core.weburl import check_http_url
from dnscc.directory.models import Organization
from dnscc.outreach import csaf, csaf_words, pgp, services
from dnscc.outreach.models import Advisory

EDITABLE = (
    "title",
    "category",
    "tlp",
    "summary",
    "details",
    "recommendation",
    "products",
    "vulnerabilities",
    "references",
    "audience",
    "revision_summary",
)


def _staff(viewer: Viewer) -> None:
    staff_only(viewer, "write advisories")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if name == "tlp":
            value = TLP.parse(str(value)).value
        elif name == "category":
            if value not in (Advisory.SECURITY, Advisory.INFORMATIONAL):
                raise InputError(
                    f"{value!r} is not an advisory category",
                    location=Location(field="category"),
                    hint="csaf_security_advisory or csaf_informational_advisory",
                )
        elif name in ("products", "vulnerabilities", "references"):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise InputError(f"{name} must be a list of objects", location=Location(field=name))
            if name == "references":
                for n, reference in enumerate(value):
                    # Published into CSAF documents and shown as links: http(s) only.
                    reference["url"] = check_http_url(
                        reference.get("url"), field=f"references[{n}].url"
                    )
        elif name == "audience":
            value = _clean_audience(value)
        elif isinstance(value, str):
            value = check_text(value, field=name, one_line=name == "title")
        clean[name] = value
    for required in ("title", "summary"):
        if required in clean and not clean[required]:
            raise InputError(f"{required} is required", location=Location(field=required))
    return clean


def _clean_audience(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError("audience must be an object", location=Location(field="audience"))
    out: dict[str, Any] = {}
    constrained = value.get("resource_constrained", False)
    if constrained not in (True, False, None):
        raise InputError(
            "resource_constrained must be true or false",
            location=Location(field="audience.resource_constrained"),
        )
    if constrained:
        out["resource_constrained"] = True
    for key in ("regions", "kinds", "languages", "organizations"):
        items = value.get(key) or []
        if isinstance(items, str):
            items = [i for i in items.replace(",", " ").split() if i]
        out[key] = [str(i).strip() for i in items if str(i).strip()]
    unknown_regions = set(out["regions"]) - {r.value for r in Region}
    if unknown_regions:
        raise InputError(
            f"unknown region(s): {', '.join(sorted(unknown_regions))}",
            location=Location(field="audience.regions"),
        )
    kinds = {k for k, _ in Organization.KIND_CHOICES}
    if set(out["kinds"]) - kinds:
        raise InputError(
            f"unknown organisation kind(s): {', '.join(sorted(set(out['kinds']) - kinds))}",
            location=Location(field="audience.kinds"),
        )
    return out


def _next_tracking_id(now: datetime) -> str:
    prefix = f"DNSCC-{now:%Y}-"
    taken = Advisory.objects.filter(tracking_id__startswith=prefix).count()
    return f"{prefix}{taken + 1:04d}"


def create(
    viewer: Viewer, actor: audit.Actor, data: dict[str, Any], *, user: Any = None
) -> Advisory:
    _staff(viewer)
    clean = _clean(data)
    for required in ("title", "summary", "category"):
        if not clean.get(required):
            raise InputError(f"{required} is required", location=Location(field=required))
    for _ in range(5):
        try:
            with transaction.atomic():
                advisory = Advisory.objects.create(
                    tracking_id=_next_tracking_id(timezone.now()),
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                    **clean,
                )
                audit.record(actor, "advisory.created", obj=advisory, summary=advisory.tracking_id)
                return advisory
        except IntegrityError:
            continue  # another coordinator took the number; take the next
    raise ConflictError("could not allocate a tracking id; try again")


def update(
    viewer: Viewer, actor: audit.Actor, advisory: Advisory, data: dict[str, Any]
) -> Advisory:
    _staff(viewer)
    if advisory.status == Advisory.PUBLISHED:
        raise ConflictError(
            f"advisory {advisory.tracking_id} is published: it is not edited in place",
            hint="start a revision (portal: Start a revision; API: POST .../revise), edit it, "
            "then submit and publish it",
        )
    clean = _clean(data)
    if advisory.is_published and clean.get("tlp", advisory.tlp) != advisory.tlp:
        raise InputError(
            f"the TLP of published advisory {advisory.tracking_id} does not change",
            location=Location(field="tlp"),
            hint="a revision keeps its TLP (its folder on the CSAF provider); for another "
            "audience publish a new advisory",
        )
    with transaction.atomic():
        for name, value in clean.items():
            setattr(advisory, name, value)
        if advisory.status == Advisory.REVIEW:
            advisory.status = Advisory.DRAFT  # a change sends it back for review
        advisory.save()
        audit.record(
            actor,
            "advisory.updated",
            obj=advisory,
            summary=advisory.tracking_id,
            data={"fields": sorted(clean)},
        )
    return advisory


def revise(viewer: Viewer, actor: audit.Actor, advisory: Advisory) -> Advisory:
    """Start a revision of a published advisory: it is a draft again, while its last
    published version stays served."""
    _staff(viewer)
    with transaction.atomic():
        if not Advisory.objects.filter(
            pk=advisory.pk, status=Advisory.PUBLISHED, version=advisory.version
        ).update(status=Advisory.DRAFT, revision_summary="", submitted_at=None):
            raise ConflictError(
                f"advisory {advisory.tracking_id} is {advisory.status}, not published",
                hint="only a published advisory is revised; a draft is simply edited",
            )
        audit.record(
            actor,
            "advisory.revision_started",
            obj=advisory,
            summary=f"{advisory.tracking_id} revision {advisory.version + 1}",
        )
    advisory.refresh_from_db()
    return advisory


def submit(viewer: Viewer, actor: audit.Actor, advisory: Advisory) -> Advisory:
    _staff(viewer)
    if advisory.is_published and not advisory.revision_summary:
        raise InputError(
            f"say what revision {advisory.version + 1} of {advisory.tracking_id} changes",
            location=Location(field="revision_summary"),
            hint="it goes into the document's revision history, which readers compare",
        )
    with transaction.atomic():
        if not Advisory.objects.filter(pk=advisory.pk, status=Advisory.DRAFT).update(
            status=Advisory.REVIEW, submitted_at=timezone.now(), submitted_by_id=viewer.user_id
        ):
            raise ConflictError(
                f"advisory {advisory.tracking_id} is {advisory.status}, not a draft"
            )
        audit.record(actor, "advisory.submitted", obj=advisory, summary=advisory.tracking_id)
    advisory.refresh_from_db()
    return advisory


def authors(advisory: Advisory) -> set[int]:
    """Who wrote the version waiting for publication: who submitted it for review, and for
    a first version who drafted it."""
    ids = {advisory.submitted_by_id}
    if not advisory.is_published:
        ids.add(advisory.created_by_id)
    return {i for i in ids if i}


def may_approve(viewer: Viewer, advisory: Advisory) -> bool:
    """Whether `viewer` may publish it: staff, and (two-person rule) not its author."""
    if not viewer.is_staff:
        return False
    if not settings.ADVISORY_TWO_PERSON:
        return True
    return viewer.user_id is not None and viewer.user_id not in authors(advisory)


def check_approver(viewer: Viewer, advisory: Advisory) -> None:
    """PermissionDenied when the two-person rule refuses `viewer` as the approver
    (DNSCC_ADVISORY_TWO_PERSON, on by default; a one-person center turns it off)."""
    if may_approve(viewer, advisory):
        return
    if viewer.user_id is None:
        raise PermissionDenied(
            "An advisory is published by a named coordinator (two-person rule).",
            hint="act as a named account (the CLI's --as USER)",
        )
    raise PermissionDenied(
        f"You wrote {advisory.tracking_id}: another coordinator approves and publishes it"
        " (two-person rule).",
        hint="ask a colleague to review it; a one-person center sets DNSCC_ADVISORY_TWO_PERSON=0",
    )


def advisory_data(advisory: Advisory, released: datetime) -> csaf.AdvisoryData:
    return csaf.AdvisoryData(
        tracking_id=advisory.tracking_id,
        title=advisory.title,
        category=advisory.category,
        tlp=TLP(advisory.tlp),
        summary=advisory.summary,
        details=advisory.details,
        recommendation=advisory.recommendation,
        products=advisory.products,
        vulnerabilities=advisory.vulnerabilities,
        references=advisory.references,
        publisher_name=settings.OUTREACH_CSAF_PUBLISHER,
        publisher_namespace=settings.BASE_URL,
        released=released,
        version=str(advisory.version + 1),
        initial_released=advisory.published_at if advisory.is_published else None,
        history=tuple(advisory.revision_history),
        revision_summary=(advisory.revision_summary.strip() if advisory.is_published else "")
        or "Initial version.",
    )


def document(advisory: Advisory, *, draft: bool = False) -> dict[str, Any]:
    """The last published document; with `draft` (staff), while a draft or revision is in
    progress, a preview of what publishing it would produce now."""
    if advisory.document and not (draft and advisory.status != Advisory.PUBLISHED):
        return json.loads(advisory.document)
    return csaf.build(advisory_data(advisory, timezone.now()))


def validate(doc: dict[str, Any]) -> list[csaf.Problem]:
    """Schema problems, then the validator's mandatory tests; [] when it may be published."""
    problems = csaf.schema_problems(doc)
    script = csaf.validator_script(settings.OUTREACH_CSAF_VALIDATOR)
    if script is None:
        if settings.OUTREACH_CSAF_REQUIRE_VALIDATOR:
            raise UnavailableError(
                "the CSAF validator (secvisogram csaf-validator-lib) is not installed",
                hint="npm ci --prefix tools/csaf-validator, or set DNSCC_CSAF_VALIDATOR",
            )
        return problems
    return problems + [p for p in csaf.mandatory_problems(doc, script=script) if p not in problems]


def publish(
    viewer: Viewer, actor: audit.Actor, advisory: Advisory, *, user: Any = None
) -> services.Queued | None:
    """Validate, hash, sign and publish a reviewed advisory, and distribute it."""
    _staff(viewer)
    if advisory.status != Advisory.REVIEW:
        raise ConflictError(
            f"advisory {advisory.tracking_id} is {advisory.status}",
            hint="submit it for review first; only a reviewed advisory is published",
        )
    check_approver(viewer, advisory)
    now = timezone.now()
    doc = csaf.build(advisory_data(advisory, now))
    problems = validate(doc)
    if problems:
        raise ValidationErrors(
            [
                InputError(csaf_words.explain(p), location=Location(field=p.path or "/"))
                for p in problems
            ]
        )
    text = csaf.serialize(doc)
    sha256, sha512 = csaf.hashes(text)
    signature, _micalg = pgp.sign_detached(text.encode("utf-8"))
    revision = advisory.is_published
    tracking = doc["document"]["tracking"]
    queued = None
    with transaction.atomic():
        if not Advisory.objects.filter(
            pk=advisory.pk, status=Advisory.REVIEW, version=advisory.version
        ).update(
            status=Advisory.PUBLISHED,
            document=text,
            sha256=sha256,
            sha512=sha512,
            signature=signature,
            published_at=advisory.published_at if revision else now,
            current_release_at=now,
            version=advisory.version + 1,
            revision_history=tracking["revision_history"],
            revision_summary="",
            published_by=user if getattr(user, "is_authenticated", False) else None,
        ):
            raise ConflictError(f"advisory {advisory.tracking_id} changed meanwhile; reload")
        advisory.refresh_from_db()
        audit.record(
            actor,
            "advisory.revised" if revision else "advisory.published",
            obj=advisory,
            summary=f"{advisory.tracking_id} version {advisory.version}",
            data={"sha256": sha256, "tlp": advisory.tlp, "version": advisory.version},
        )
        orgs = audience_organizations(advisory.audience)
        if orgs:
            change = tracking["revision_history"][-1]["summary"]
            queued = services.notify(
                viewer,
                actor,
                kind="advisory_update" if revision else "advisory",
                context={
                    "tracking_id": advisory.tracking_id,
                    "title": advisory.title,
                    "summary": advisory.summary,
                    "tlp": TLP(advisory.tlp).label,
                    "url": document_url(advisory),
                    "version": str(advisory.version),
                    "change": change,
                },
                organizations=orgs,
                tlp=TLP(advisory.tlp),
                source=("advisory", advisory.tracking_id),
                user=user,
            )
            Advisory.objects.filter(pk=advisory.pk).update(notice=queued.notice)
            advisory.notice = queued.notice
    return queued


def audience_organizations(audience: dict[str, Any]) -> list[Organization]:
    """Organisations matching region AND kind AND language AND resource-constrained filters,
    plus the explicit list. `resource_constrained: true` alone is every resource-constrained
    organisation; beside other filters it keeps the resource-constrained among them."""
    audience = audience or {}
    regions, kinds = audience.get("regions") or [], audience.get("kinds") or []
    languages = {lang.lower().split("-")[0] for lang in audience.get("languages") or []}
    constrained = audience.get("resource_constrained") is True
    explicit = audience.get("organizations") or []
    chosen: dict[int, Organization] = {}
    if regions or kinds or languages or constrained:
        qs = Organization.objects.all()
        if constrained:
            qs = qs.filter(resource_constrained=True)
        if regions:
            qs = qs.filter(region__in=regions)
        if kinds:
            qs = qs.filter(kind__in=kinds)
        for org in qs.order_by("pk"):
            # JSON "contains" is not portable to SQLite: the language filter is in Python.
            if languages and not languages & {
                lang.lower().split("-")[0] for lang in org.languages or []
            }:
                continue
            chosen[org.pk] = org
    if explicit:
        found = {o.slug: o for o in Organization.objects.filter(slug__in=explicit)}
        missing = sorted(set(explicit) - set(found))
        if missing:
            raise InputError(
                f"unknown organisation(s): {', '.join(missing)}",
                location=Location(field="audience.organizations"),
            )
        for org in found.values():
            chosen[org.pk] = org
    return list(chosen.values())


def audience_words(audience: dict[str, Any]) -> str:
    """The audience as a coordinator reads it: "resource-constrained organisations in Africa
    that are TLD registries, and alpha-registry"."""
    audience = audience or {}
    kinds = dict(Organization.KIND_CHOICES)
    regions = {r.value: r.label for r in Region}
    who = (
        "resource-constrained organisations"
        if audience.get("resource_constrained")
        else "organisations"
    )
    parts = []
    if audience.get("regions"):
        parts.append("in " + " or ".join(regions.get(r, r) for r in audience["regions"]))
    if audience.get("kinds"):
        parts.append("of kind " + " or ".join(str(kinds.get(k, k)) for k in audience["kinds"]))
    if audience.get("languages"):
        parts.append("reading " + " or ".join(audience["languages"]))
    filtered = bool(parts) or bool(audience.get("resource_constrained"))
    text = " ".join([who, *parts]) if filtered else ""
    if audience.get("organizations"):
        named = ", ".join(audience["organizations"])
        text = f"{text}, and {named}" if text else named
    return text or "nobody (no filter and no organisation named)"


# -- reading and the CSAF provider ----------------------------------------------------


def folder(advisory: Advisory) -> str:
    return csaf.TLP_FOLDER[csaf.TLP_TO_CSAF[TLP(advisory.tlp)]]


def document_path(advisory: Advisory) -> str:
    year = (advisory.published_at or timezone.now()).year
    return f"{folder(advisory)}/{year}/{csaf.file_name(advisory.tracking_id)}"


def document_url(advisory: Advisory) -> str:
    return f"{settings.BASE_URL}/.well-known/csaf/{document_path(advisory)}"


def visible_advisories(viewer: Viewer) -> list[Advisory]:
    """Staff see drafts; everyone sees published advisories their TLP allows."""
    qs = Advisory.objects.order_by("-published_at", "-created_at")
    if not viewer.is_staff:
        qs = qs.filter(version__gt=0)
    return [a for a in qs if _may_see(viewer, a)]


def _may_see(viewer: Viewer, advisory: Advisory) -> bool:
    """Published: the TLP rule. A draft (never published): staff only, and the TLP rule as
    well, so a TLP:RED draft is its author's and the named users' alone."""
    if not advisory.is_published and not viewer.is_staff:
        return False
    return can_see(viewer, advisory.labelled())


def get_advisory(viewer: Viewer, tracking_id: str) -> Advisory:
    advisory = Advisory.objects.filter(tracking_id=tracking_id).first()
    if advisory is None:
        raise NotFoundError("no such advisory")
    if not _may_see(viewer, advisory):
        raise NotFoundError("no such advisory")
    return advisory


def published_in(viewer: Viewer, folder_name: str) -> list[Advisory]:
    return [
        a
        for a in Advisory.objects.filter(version__gt=0).order_by("-current_release_at")
        if folder(a) == folder_name and can_see(viewer, a.labelled())
    ]


def provider_metadata() -> dict[str, Any]:
    base = f"{settings.BASE_URL}/.well-known/csaf"
    latest = Advisory.objects.filter(version__gt=0).order_by("-current_release_at").first()
    updated = latest.current_release_at if latest and latest.current_release_at else timezone.now()
    fingerprint = pgp.center_fingerprint()
    return {
        "canonical_url": f"{base}/provider-metadata.json",
        "distributions": [
            {"directory_url": f"{base}/{name}/"} for name in csaf.TLP_FOLDER.values()
        ],
        "last_updated": updated.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "public_openpgp_keys": [
            {"fingerprint": fingerprint, "url": f"{base}/openpgp/{fingerprint}.asc"}
        ],
        "publisher": {
            "category": "coordinator",
            "name": settings.OUTREACH_CSAF_PUBLISHER,
            "namespace": settings.BASE_URL,
        },
        "role": "csaf_provider",
    }


def find_published(year: int, name: str, folder_name: str) -> Advisory | None:
    for advisory in Advisory.objects.filter(version__gt=0, published_at__year=year):
        if csaf.file_name(advisory.tracking_id) == name and folder(advisory) == folder_name:
            return advisory
    return None


def index_txt(advisories: list[Advisory]) -> str:
    return "".join(f"{document_path(a).split('/', 1)[1]}\n" for a in advisories)


def changes_csv(advisories: list[Advisory]) -> str:
    return "".join(
        f'"{document_path(a).split("/", 1)[1]}","{a.current_release_at:%Y-%m-%dT%H:%M:%SZ}"\n'
        for a in advisories
        if a.current_release_at
    )
