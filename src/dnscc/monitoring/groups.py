"""Alerts with one cause form one group.

One lame server shared by eighteen TLDs opens eighteen alerts in a sweep; the desk should
read one line ("DELEGATION04 on 18 TLDs served by ns1.example") with the list of zones,
and act on it once (acknowledge it, open one incident). Rule: alerts of the same sweep and
the same check (finding code) belong together when they share the server or the operator
(the transitive closure: A and B share a server, B and C an operator: one group). Alerts
from other apps (no sweep) group among themselves by the same rule.

Groups are listed worst first (severity), then oldest first (the one waiting longest).
Nothing is stored: a group is computed from the alerts each time, so it never disagrees
with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dnscc.monitoring.models import Alert, severity_rank


def sweep_of(alert: Any) -> int | None:
    """The sweep in which the alert opened (older rows: its finding's first sweep)."""
    return alert.sweep_id or getattr(alert.finding, "first_sweep_id", None)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def cluster(keys: Sequence[tuple[Any, str, str, Any]]) -> list[list[int]]:
    """Indices of `keys` (sweep, code, server, organisation) grouped by the rule above:
    same sweep and code, and the same non-empty server or the same non-empty organisation.
    Groups in the order of their first member; members in input order."""
    parent = list(range(len(keys)))
    first_by: dict[tuple[Any, ...], int] = {}
    for i, (sweep, code, server, org) in enumerate(keys):
        for shared in (("server", server), ("org", org)):
            if not shared[1]:
                continue
            key = (sweep, code, *shared)
            if key in first_by:
                a, b = _find(parent, first_by[key]), _find(parent, i)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_by[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(keys)):
        groups.setdefault(_find(parent, i), []).append(i)
    return list(groups.values())


@dataclass
class AlertGroup:
    """Alerts of one cause, with what the desk reads about them."""

    alerts: list[Alert] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Stable while the group's first alert stays in it (an anchor on the page)."""
        return f"g{min(a.pk for a in self.alerts)}"

    @property
    def ids(self) -> list[int]:
        return [a.pk for a in self.alerts]

    @property
    def count(self) -> int:
        return len(self.alerts)

    @property
    def code(self) -> str:
        return str(self.alerts[0].finding.code)

    @property
    def severity(self) -> str:
        return max((a.severity for a in self.alerts), key=severity_rank)

    @property
    def opened_at(self) -> datetime:
        return min(a.opened_at for a in self.alerts)

    @property
    def zones(self) -> list[str]:
        """The zones, as people write them (".cl", "." for the root), sorted."""
        return sorted({f".{a.finding.zone}" if a.finding.zone else "." for a in self.alerts})

    @property
    def zone_names(self) -> list[str]:
        """The zones as stored ("cl", "" for the root)."""
        return sorted({a.finding.zone for a in self.alerts})

    @property
    def servers(self) -> list[str]:
        return sorted({a.finding.server for a in self.alerts if a.finding.server})

    @property
    def organizations(self) -> list[Any]:
        seen: dict[int, Any] = {}
        for a in self.alerts:
            if a.organization_id and a.organization_id not in seen:
                seen[a.organization_id] = a.organization
        return sorted(seen.values(), key=lambda o: o.name)

    @property
    def desks(self) -> list[str]:
        return sorted({a.desk for a in self.alerts if a.desk})

    @property
    def states(self) -> dict[str, int]:
        return dict(Counter(a.state for a in self.alerts))

    @property
    def open_ids(self) -> list[int]:
        return [a.pk for a in self.alerts if a.state == Alert.OPEN]

    @property
    def incidents(self) -> list[Any]:
        """The incidents its alerts were taken into (`Incident.alerts`, prefetched)."""
        found: dict[int, Any] = {}
        for a in self.alerts:
            related = getattr(a, "incidents", None)
            for incident in related.all() if related is not None else ():
                found.setdefault(incident.pk, incident)
        return list(found.values())

    @property
    def title(self) -> str:
        if self.count == 1:
            return str(self.alerts[0].title)
        zones = self.zones
        where = f"{len(zones)} TLDs" if len(zones) > 1 else zones[0]
        if len(self.servers) == 1:
            return f"{self.code} on {where} served by {self.servers[0]}"
        orgs = self.organizations
        if len(orgs) == 1:
            return f"{self.code} on {where} of {orgs[0].name}"
        return f"{self.code} on {where}"

    def sort_key(self) -> tuple[int, datetime]:
        return (-severity_rank(self.severity), self.opened_at)


def group_alerts(alerts: Iterable[Alert]) -> list[AlertGroup]:
    """The alerts (with finding and organization loaded) in groups, worst and oldest first;
    each group's alerts in the same order."""
    rows = sorted(alerts, key=lambda a: (-severity_rank(a.severity), a.opened_at, a.pk))
    # An exercise's alert never joins a live group (core.exercise_mark): the mark is part of
    # the "same sweep" key.
    keys = [
        (
            (sweep_of(a), getattr(a, "exercise", None)),
            a.finding.code,
            a.finding.server or "",
            a.organization_id or "",
        )
        for a in rows
    ]
    groups = [AlertGroup([rows[i] for i in members]) for members in cluster(keys)]
    return sorted(groups, key=AlertGroup.sort_key)
