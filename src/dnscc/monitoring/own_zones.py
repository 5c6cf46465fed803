"""What an organisation may see of namespace health: the current findings about the zones
it operates, with their evidence, and nothing about anyone else's (the operator's portal)."""

from __future__ import annotations

from typing import Any

from dnscc.core.tlp import Viewer
from dnscc.directory.models import Tld
from dnscc.monitoring.models import Finding, ZoneStatus

SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "notice": 3, "info": 4}


def zones_of(organization_id: int) -> list[str]:
    """The TLDs the organisation operates (zone names as findings keep them)."""
    return sorted(Tld.objects.filter(operator_id=organization_id).values_list("name", flat=True))


def own_zone_health(viewer: Viewer) -> dict[str, Any]:
    """{"zones": [{"zone", "worst", "open_findings", "last_swept"}], "findings": [open
    findings of those zones, worst first, each with its evidence]}: only the viewer's own
    organisation's zones; nothing for an account without one."""
    if viewer.role is None or viewer.organization_id is None:
        return {"zones": [], "findings": []}
    zones = zones_of(viewer.organization_id)
    statuses = {s.zone: s for s in ZoneStatus.objects.filter(zone__in=zones).order_by("zone")}
    findings = sorted(
        Finding.objects.filter(zone__in=zones, resolved_at__isnull=True),
        key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.zone, f.code, f.server),
    )
    return {
        "zones": [
            {
                "zone": z,
                "worst": statuses[z].worst if z in statuses else "",
                "open_findings": statuses[z].open_findings if z in statuses else 0,
                "last_swept": statuses[z].last_swept if z in statuses else None,
            }
            for z in zones
        ],
        "findings": findings,
    }
