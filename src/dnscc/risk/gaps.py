"""Gap analysis of existing responders: the inventory of who already covers which threat
event, where, with which capability (Coverage rows), ccTLDs linked to their national
CSIRT, and incidents referred to an existing responder instead of being handled by the
center (the seeds' worry about duplicating DNS-OARC and national CERTs). The matrix and
its gaps are computed by dnscc.core.gaps.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import REGION_CHOICES
from dnscc.accounts.services import staff_only
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError
from dnscc.core.gaps import ALL_REGIONS, CAPABILITIES, gap_matrix
from dnscc.core.gaps import Coverage as CoverageItem
from dnscc.core.text import check_text
from dnscc.core.tlp import Viewer
from dnscc.directory.models import Organization, Tld
from dnscc.risk import catalogue
from dnscc.risk.models import Coverage, CsirtLink, Referral

REGIONS = [code for code, _ in REGION_CHOICES]
RESPONDER_KINDS = (
    Organization.CSIRT,
    Organization.OTHER,
    Organization.TLD_REGISTRY,
    Organization.ROOT_SERVER_OPERATOR,
    Organization.RESOLVER_OPERATOR,
    Organization.REGISTRAR,
    Organization.LAW_ENFORCEMENT,
)


def _org(slug: str, *, field: str = "organization") -> Organization:
    org = Organization.objects.filter(slug=str(slug or "").strip()).first()
    if org is None:
        raise InputError(f"unknown organisation {slug!r}", location=Location(field=field))
    return org


def add_coverage(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    organization: str,
    event: str,
    region: str,
    capabilities: list[str],
    note: str = "",
) -> list[Coverage]:
    """Record that an organisation covers a threat event in a region ("*": every region)
    with the capabilities given (detect, coordinate, mitigate, recover)."""
    staff_only(viewer, "edit the responders' inventory")
    org = _org(organization)
    threat = catalogue.get_event(event)
    where = str(region or "").strip().upper()
    if where not in (*REGIONS, ALL_REGIONS):
        raise InputError(
            f"unknown region {region!r}",
            location=Location(field="region"),
            hint="an ICANN region code (" + ", ".join(REGIONS) + ") or * for every region",
        )
    caps = [str(c).strip().lower() for c in capabilities or []]
    if not caps:
        raise InputError("name at least one capability", location=Location(field="capabilities"))
    for c in caps:
        if c not in CAPABILITIES:
            raise InputError(
                f"unknown capability {c!r}",
                location=Location(field="capabilities"),
                hint="one of " + ", ".join(CAPABILITIES),
            )
    text = check_text(note, field="note", max_length=300, one_line=True)
    rows = []
    with transaction.atomic():
        for c in dict.fromkeys(caps):
            row, _ = Coverage.objects.get_or_create(
                organization=org,
                event=threat,
                region=where,
                capability=c,
                defaults={"note": text, "created_by": actor.name},
            )
            rows.append(row)
        audit.record(
            actor,
            "risk.coverage_add",
            object_type="risk.coverage",
            object_id=org.slug,
            summary=f"{org.name} covers {threat.key} in {where}: {', '.join(caps)}",
            data={
                "organization": org.slug,
                "event": threat.key,
                "region": where,
                "capabilities": caps,
            },
        )
    return rows


def remove_coverage(viewer: Viewer, actor: audit.Actor, coverage_id: int) -> None:
    staff_only(viewer, "edit the responders' inventory")
    row = Coverage.objects.select_related("organization", "event").filter(pk=coverage_id).first()
    if row is None:
        raise NotFoundError(f"no coverage entry {coverage_id}")
    with transaction.atomic():
        summary = str(row)
        row.delete()
        audit.record(
            actor,
            "risk.coverage_remove",
            object_type="risk.coverage",
            object_id=coverage_id,
            summary=summary,
        )


def inventory() -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "organization": c.organization.slug,
            "organization_name": c.organization.name,
            "organization_kind": c.organization.kind,
            "event": c.event.key,
            "region": c.region,
            "capability": c.capability,
            "note": c.note,
        }
        for c in Coverage.objects.select_related("organization", "event")
    ]


def matrix() -> dict[str, Any]:
    """The gap matrix of the live inventory (threat events x ICANN regions)."""
    keys = [e.key for e in catalogue.events()]
    items = [
        CoverageItem(org, event, region, capability)
        for org, event, region, capability in Coverage.objects.filter(
            event__retired=False
        ).values_list("organization__slug", "event__key", "region", "capability")
    ]
    result = gap_matrix(keys, REGIONS, items)
    result["events"] = keys
    result["regions"] = REGIONS
    return result


# --- ccTLD -> national CSIRT ------------------------------------------------------------


def link_csirt(viewer: Viewer, actor: audit.Actor, *, tld: str, csirt: str) -> CsirtLink:
    """Link a ccTLD to its national CSIRT (replaces an earlier link)."""
    staff_only(viewer, "link ccTLDs to CSIRTs")
    name = str(tld or "").strip().lower().strip(".")
    row = Tld.objects.filter(name=name).first()
    if row is None:
        raise InputError(f"unknown TLD {tld!r}", location=Location(field="tld"))
    if row.kind not in (Tld.CCTLD, Tld.IDN_CCTLD):
        raise InputError(f".{row.name} is not a ccTLD", location=Location(field="tld"))
    org = _org(csirt, field="csirt")
    if org.kind != Organization.CSIRT:
        raise InputError(
            f"{org.name} is not a CSIRT in the directory (kind {org.kind})",
            location=Location(field="csirt"),
        )
    with transaction.atomic():
        link, _ = CsirtLink.objects.update_or_create(
            tld=row, defaults={"csirt": org, "created_by": actor.name}
        )
        audit.record(actor, "risk.csirt_link", obj=link, summary=f".{row.name} -> {org.name}")
    return link


def csirt_links() -> list[dict[str, Any]]:
    return [
        {"tld": link.tld.name, "csirt": link.csirt.slug, "csirt_name": link.csirt.name}
        for link in CsirtLink.objects.select_related("tld", "csirt")
    ]


def csirt_for_tld(name: str) -> Organization | None:
    link = CsirtLink.objects.select_related("csirt").filter(tld__name=name).first()
    return link.csirt if link else None


# --- referrals ----------------------------------------------------------------------------


def refer_incident(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    incident: str,
    responder: str = "",
    reason: str,
) -> Referral:
    """Refer an incident to an existing responder (by default the national CSIRT linked to
    the first ccTLD of its scope). The incident's timeline says so."""
    from dnscc.incidents import services as incidents

    staff_only(viewer, "refer incidents")
    found = incidents.get_incident(viewer, incident)
    why = check_text(reason, field="reason", max_length=2000, required=True)
    org = _org(responder, field="responder") if str(responder or "").strip() else None
    if org is None:
        for name in found.scope.get("tlds", []):
            org = csirt_for_tld(name)
            if org is not None:
                break
    if org is None:
        raise InputError(
            "name the responder: no ccTLD of the incident's scope is linked to a CSIRT",
            location=Location(field="responder"),
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                incident=found,
                responder=org,
                reason=why,
                created_by=actor.name,
                history=[
                    {
                        "at": now.isoformat(),
                        "status": Referral.PROPOSED,
                        "by": actor.name,
                        "note": why,
                    }
                ],
            )
            incidents.add_note(
                viewer, actor, found, f"Referred to {org.name} (an existing responder): {why}"
            )
            audit.record(
                actor, "risk.referral", obj=referral, summary=f"{found.ref} referred to {org.name}"
            )
    except IntegrityError:
        raise ConflictError(f"{found.ref} is already referred to {org.name}") from None
    return referral


def set_referral_status(
    viewer: Viewer, actor: audit.Actor, referral_id: int, *, status: str, note: str = ""
) -> Referral:
    """Move a referral on: proposed -> sent -> accepted -> resolved, or declined. The
    incident's timeline says so (the incident's handlers read it there, not on the gaps
    page)."""
    from dnscc.incidents import services as incidents

    staff_only(viewer, "update referrals")
    referral = (
        Referral.objects.select_related("incident", "responder").filter(pk=referral_id).first()
    )
    if referral is None:
        raise NotFoundError(f"no referral {referral_id}")
    # A referral of an incident the viewer may not see (TLP:RED of another) does not exist
    # for it.
    incidents.get_incident(viewer, referral.incident.ref)
    new = str(status or "").strip().lower()
    if new not in dict(Referral.STATUS_CHOICES):
        raise InputError(f"unknown status {status!r}", location=Location(field="status"))
    allowed = Referral.NEXT[referral.status]
    if new not in allowed:
        raise ConflictError(
            f"a referral {referral.status} cannot become {new}",
            hint=("next: " + ", ".join(allowed)) if allowed else "it is final",
        )
    text = check_text(note, field="note", max_length=2000)
    with transaction.atomic():
        now = timezone.now()
        referral.status = new
        referral.history = [
            *referral.history,
            {"at": now.isoformat(), "status": new, "by": actor.name, "note": text},
        ]
        referral.save(update_fields=["status", "history", "updated_at"])
        said = dict(Referral.STATUS_CHOICES)[new]
        incidents.add_note(
            viewer,
            actor,
            referral.incident,
            f"Referral to {referral.responder.name}: {said}" + (f": {text}" if text else ""),
        )
        audit.record(
            actor,
            "risk.referral_status",
            obj=referral,
            summary=f"{referral.incident.ref} at {referral.responder.name}: {new}",
        )
    return referral


def describe_referral(r: Referral) -> dict[str, Any]:
    return {
        "id": r.pk,
        "incident": r.incident.ref,
        "responder": r.responder.slug,
        "responder_name": r.responder.name,
        "reason": r.reason,
        "status": r.status,
        "status_label": dict(Referral.STATUS_CHOICES)[r.status],
        "next": [
            {"status": s, "label": dict(Referral.STATUS_CHOICES)[s]}
            for s in Referral.NEXT[r.status]
        ],
        "history": r.history,
        "created_at": r.created_at.isoformat(),
    }


def referrals(viewer: Viewer) -> list[Referral]:
    """The referrals of the incidents the viewer may see (one TLP rule: a TLP:RED
    incident's referral, reason included, stays with the incident's author)."""
    from dnscc.incidents import services as incidents

    visible = incidents.visible_incidents(viewer)
    return list(
        Referral.objects.filter(incident__in=visible).select_related("incident", "responder")
    )
