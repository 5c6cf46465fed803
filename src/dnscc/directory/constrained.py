"""The resource-constrained flag's evidence: why an organisation is flagged, who said so and
when (issue 11: "the flag gets a reason and a source"). One rule for every way the flag is
set: the portal, the API and the contact import."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location
from dnscc.directory import validation
from dnscc.directory.models import Organization

__all__ = ["CONSTRAINED_REASONS", "constrained_evidence"]

CONSTRAINED_REASONS = (
    "no CSIRT in country",
    "single-person registry",
    "no 24/7 staff",
    "requested by the organisation",
)


def constrained_evidence(
    org: Organization | None, clean: dict[str, Any], data: dict[str, Any], actor: audit.Actor
) -> dict[str, Any]:
    """The resource-constrained flag's evidence to store beside `clean`: a flag that is on
    needs a reason (`constrained_reason`: why, e.g. one of CONSTRAINED_REASONS), and whoever
    sets it or changes its reason is recorded with the time; a flag turned off clears all
    three. Empty when neither the flag nor its reason changes."""
    flag = clean.get("resource_constrained", org.resource_constrained if org is not None else False)
    before = org.constrained_reason if org is not None else ""
    reason = before
    if "constrained_reason" in data:
        reason = validation.text(data["constrained_reason"], "constrained_reason", max_length=300)
    if not flag:
        if org is not None and (org.resource_constrained or org.constrained_reason):
            return {"constrained_reason": "", "constrained_by": "", "constrained_at": None}
        return {}
    if not reason:
        raise InputError(
            "say why the organisation is resource-constrained",
            location=Location(field="constrained_reason"),
            hint="e.g. " + ", ".join(CONSTRAINED_REASONS),
        )
    if org is not None and org.resource_constrained and reason == before:
        return {}
    return {
        "constrained_reason": reason,
        "constrained_by": actor.name[:150],
        "constrained_at": timezone.now(),
    }
