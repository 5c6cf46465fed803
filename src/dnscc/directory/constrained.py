"""The resource-constrained flag's evidence: why an organisation is flagged, who said so and
when (issue 11: "the flag gets a reason and a source"). One rule for every way the flag is
set: the portal, the API and the contact import. And one count of how many of them a notice,
an incident or a campaign reached and how many acknowledged (`reach`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location
from dnscc.directory import validation
from dnscc.directory.models import Organization

__all__ = ["CONSTRAINED_REASONS", "Reach", "constrained_evidence", "reach"]

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


@dataclass(frozen=True)
class Reach:
    """How many resource-constrained operators a notice, an incident or a campaign was
    meant for (`total`), reached (the relay or webhook accepted a message: not merely
    queued) and how many acknowledged."""

    total: int = 0
    reached: int = 0
    acknowledged: int = 0
    among: str = "the recipients"

    @property
    def words(self) -> str:
        """The figures as a coordinator reads them: "3 of 4 resource-constrained operators
        reached, 1 acknowledged"."""
        if not self.total:
            return f"no resource-constrained operator among {self.among}"
        noun = "operator" if self.total == 1 else "operators"
        return (
            f"{self.reached} of {self.total} resource-constrained {noun} reached, "
            f"{self.acknowledged} acknowledged"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "reached": self.reached,
            "acknowledged": self.acknowledged,
            "words": self.words,
        }


def reach(
    qs: QuerySet[Any],
    *,
    organization: str,
    reached: Q,
    acknowledged: Q,
    among: str = "the recipients",
) -> Reach:
    """Count, in one SQL query over `qs` (parties, slices, messages), the distinct
    resource-constrained organisations behind `organization` (the field path to the
    Organization), those for which a row matches `reached`, and those for which one
    matches `acknowledged`. The callers say what reached means for their rows (a party
    notified, a slice delivered, a message accepted); this function is the one count."""
    counted = qs.filter(**{f"{organization}__resource_constrained": True}).aggregate(
        total=Count(organization, distinct=True),
        reached=Count(organization, distinct=True, filter=reached),
        acknowledged=Count(organization, distinct=True, filter=acknowledged),
    )
    return Reach(
        total=counted["total"] or 0,
        reached=counted["reached"] or 0,
        acknowledged=counted["acknowledged"] or 0,
        among=among,
    )
