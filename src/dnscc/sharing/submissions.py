"""A member writes to a collection over TAXII (POST objects): the objects go through the
same import as any partner bundle (sharing.imports, with the member as provenance) and are
kept in the collection as they came, for the center to read. The answer is a TAXII status
naming each object that was taken and each that was refused, and why."""

from __future__ import annotations

import io
import json
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core import stix
from dnscc.core.errors import InputError, Location
from dnscc.core.tlp import TLP, Viewer
from dnscc.directory.models import Organization
from dnscc.sharing import imports
from dnscc.sharing.models import Collection, Import, TaxiiStatus, TrustGroup
from dnscc.sharing.publish import Item, _store, version_of

MAX_FAILURES = 1000


def _envelope(stream: IO[bytes]) -> list[Any]:
    try:
        body = json.load(stream)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the body is not JSON: {exc}", location=Location(field="body")) from None
    objects = body.get("objects") if isinstance(body, dict) else None
    if not isinstance(objects, list):
        raise InputError(
            'the body is not a TAXII envelope: {"objects": [...]} expected',
            location=Location(field="objects"),
        )
    return objects


def add_objects(
    viewer: Viewer, user: Any, group: TrustGroup, collection: Collection, stream: IO[bytes]
) -> TaxiiStatus:
    """Import the envelope's objects (rejections named) and keep the accepted ones."""
    objects = _envelope(stream)
    org = Organization.objects.filter(pk=viewer.organization_id).first()
    who = org.name if org else user.get_username()
    actor = audit.Actor.of(user)
    bundle = {
        "type": "bundle",
        "id": stix.stix_id("bundle", "taxii", str(timezone.now())),
        "objects": objects,
    }
    with transaction.atomic():
        imp = imports.run_stix(
            actor,
            io.BytesIO(json.dumps(bundle).encode()),
            name=f"TAXII {group.slug}/{collection.kind}",
            provenance=f"{who} via TAXII ({group.name})",
            kind=Import.TAXII,
            user=user,
            group=group,
        )
        refused = {r["ref"]: r["reason"] for r in imp.report.get("rejections", [])}
        successes: list[dict[str, str]] = []
        failures: list[dict[str, str]] = []
        items = []
        defined = {
            o["id"]: label
            for o in objects
            if isinstance(o, dict) and o.get("type") == "marking-definition"
            for label in [stix.tlp_of_marking(o)]
            if label is not None
        }
        for obj in objects:
            ref = obj.get("id", "") if isinstance(obj, dict) else ""
            if not isinstance(obj, dict) or not ref or ref in refused or "type" not in obj:
                if len(failures) < MAX_FAILURES:
                    failures.append(
                        {"id": str(ref)[:120], "message": refused.get(ref, "not a STIX object")}
                    )
                continue
            label = stix.tlp_of_refs(obj.get("object_marking_refs") or [], defined) or TLP.RED
            items.append((label, Item(obj, for_org=viewer.organization_id)))
            successes.append({"id": ref, "version": version_of(obj)})
        # One label per write: the strictest met (a write is kept for the center to read).
        label = max((lab for lab, _ in items), key=lambda t: t.rank, default=TLP.RED)
        from dnscc.sharing.models import Publication

        pub = Publication.objects.create(
            group=group,
            collection=collection,
            kind="submission",
            ref=f"import-{imp.pk}",
            title=f"written by {who}",
            tlp=label.value,
            published_by=user.get_username(),
            published_at=timezone.now(),
            audience=[viewer.organization_id] if viewer.organization_id else [],
        )
        count, indicators = _store(
            collection, pub, (i for _, i in items), label=label, may_forward=imp.may_forward
        )
        pub.object_count, pub.indicator_count = count, indicators
        pub.save(update_fields=["object_count", "indicator_count"])
        status = TaxiiStatus.objects.create(
            group=group,
            username=user.get_username(),
            organization=org,
            request_timestamp=timezone.now(),
            total=len(objects),
            successes=successes[:MAX_FAILURES],
            failures=failures,
        )
        audit.record(
            actor,
            "sharing.taxii.write",
            obj=status,
            summary=f"{len(successes)} object(s) written to {group.slug}/{collection.kind}",
            data={"import": imp.pk, "failures": len(failures)},
        )
    return status
