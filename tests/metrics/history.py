"""A known history for the metrics tests: incidents with set times across regions, parties
with set delivery and acknowledgement times, a campaign, an advisory, contacts and TLDs.
Every figure it gives is computed by hand in test_figures.py (from the numbers here).

The period is 2026-Q3 (2026-07-01 to 2026-10-01, UTC); one incident of each kind of
"outside" (created before the quarter) is there to be left out.

Incident T-n has the reference DNSCC-2026-900n.

Organisations: A1 (AF, TLD registry, resource-constrained), A2 (AF, registrar),
E1 (EU, TLD registry), P1 (AP, TLD registry, resource-constrained), X (AF, CSIRT, expert).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dnscc.campaigns.models import Campaign, Slice
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents.models import Incident, Party
from dnscc.outreach.models import Advisory, Message, Notice

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def minutes(base: dt.datetime, n: float) -> dt.datetime:
    return base + dt.timedelta(minutes=n)


@dataclass
class History:
    orgs: dict[str, Organization]
    incidents: dict[str, Incident] = field(default_factory=dict)


def _org(key: str, region: str, kind: str, constrained: bool) -> Organization:
    return Organization.objects.create(
        name=f"Org {key}",
        slug=f"org-{key.lower()}",
        kind=kind,
        region=region,
        resource_constrained=constrained,
    )


def _incident(ref: str, created: dt.datetime, desk: str, dns_type: str, **times: Any) -> Incident:
    return Incident.objects.create(
        ref=ref, title=f"incident {ref}", created_at=created, desk=desk, dns_type=dns_type, **times
    )


def _party(incident: Incident, org: Organization, status: str, **kw: Any) -> Party:
    return Party.objects.create(
        incident=incident, organization=org, source=Party.MANUAL, status=status, **kw
    )


def build() -> History:
    reg, rar, csirt = (
        Organization.TLD_REGISTRY,
        Organization.REGISTRAR,
        Organization.CSIRT,
    )
    orgs = {
        "A1": _org("A1", "AF", reg, True),
        "A2": _org("A2", "AF", rar, False),
        "E1": _org("E1", "EU", reg, False),
        "P1": _org("P1", "AP", reg, True),
        "X": _org("X", "AF", csirt, False),
    }
    h = History(orgs)
    a1, a2, e1, p1, x = (orgs[k] for k in ("A1", "A2", "E1", "P1", "X"))

    # I1 (AF, broken delegation): triaged +10, first notice accepted +5, mitigated 130 min
    # after triage. Parties: A1 reached +5, acknowledged 100 min later; A2 reached +25,
    # acknowledged 300 min later; E1 reached +30, silent; X an expert (not counted).
    t1 = at("2026-07-01T10:00")
    i1 = _incident(
        "DNSCC-2026-9001",
        t1,
        "AF",
        "broken-delegation",
        status=Incident.MITIGATED,
        triaged_at=minutes(t1, 10),
        first_notified_at=minutes(t1, 5),
        mitigated_at=minutes(t1, 140),
    )
    _party(i1, a1, Party.ACKNOWLEDGED, notified_at=minutes(t1, 5), acknowledged_at=minutes(t1, 105))
    _party(
        i1, a2, Party.ACKNOWLEDGED, notified_at=minutes(t1, 25), acknowledged_at=minutes(t1, 325)
    )
    _party(i1, e1, Party.NOTIFIED, notified_at=minutes(t1, 30))
    _party(i1, x, Party.NOTIFIED, notified_at=minutes(t1, 1), role="expert")

    # I2 (AF, DNSSEC failure): triaged +30, first notice +10. A1 reached +10, acknowledged
    # 2000 min later; P1 unreachable (no usable contact).
    t2 = at("2026-08-01T00:00")
    i2 = _incident(
        "DNSCC-2026-9002",
        t2,
        "AF",
        "dnssec-failure",
        status=Incident.OPEN,
        triaged_at=minutes(t2, 30),
        first_notified_at=minutes(t2, 10),
    )
    _party(
        i2, a1, Party.ACKNOWLEDGED, notified_at=minutes(t2, 10), acknowledged_at=minutes(t2, 2010)
    )
    _party(i2, p1, Party.UNREACHABLE)

    # I3 (EU, DNSSEC failure): triaged +60, first notice +90. E1 reached +90, acknowledged
    # 60 min later; P1's delivery failed.
    t3 = at("2026-09-01T00:00")
    i3 = _incident(
        "DNSCC-2026-9003",
        t3,
        "EU",
        "dnssec-failure",
        status=Incident.OPEN,
        triaged_at=minutes(t3, 60),
        first_notified_at=minutes(t3, 90),
    )
    _party(
        i3, e1, Party.ACKNOWLEDGED, notified_at=minutes(t3, 90), acknowledged_at=minutes(t3, 150)
    )
    _party(i3, p1, Party.DELIVERY_FAILED)

    # I5 (EU, not triaged yet): A2's notice queued (attempted, not reached); E1 not
    # contacted (no notice attempted: not counted).
    t5 = at("2026-09-15T00:00")
    i5 = _incident("DNSCC-2026-9005", t5, "EU", "other")
    _party(i5, a2, Party.QUEUED)
    _party(i5, e1, Party.NOT_CONTACTED)

    # I4: created a minute before the quarter: left out of everything.
    t4 = at("2026-06-30T23:59")
    i4 = _incident(
        "DNSCC-2026-9004",
        t4,
        "AF",
        "other",
        triaged_at=minutes(t4, 1000),
        first_notified_at=minutes(t4, 1000),
    )
    _party(i4, a1, Party.NOTIFIED, notified_at=minutes(t4, 1000))
    h.incidents = {"T-1": i1, "T-2": i2, "T-3": i3, "T-4": i4, "T-5": i5}

    # A campaign of I1 created in August: A1's slice complete (10 of 10 names verified, a day
    # after delivery), E1's delivered (15 of 30 verified), P1's never delivered (left out).
    camp = Campaign.objects.create(
        incident=i1,
        slug="t-camp",
        title="takedown",
        status=Campaign.ACTIVE,
        due_date=dt.date(2026, 9, 1),
    )
    Campaign.objects.filter(pk=camp.pk).update(created_at=at("2026-08-10T00:00"))
    delivered = at("2026-08-10T12:00")
    Slice.objects.create(
        campaign=camp,
        organization=a1,
        names=10,
        verified_ok=10,
        state=Slice.COMPLETE,
        deadline=at("2026-09-01T00:00"),
        delivered_at=delivered,
        last_verified_at=minutes(delivered, 1440),
    )
    Slice.objects.create(
        campaign=camp,
        organization=e1,
        names=30,
        verified_ok=15,
        state=Slice.DELIVERED,
        deadline=at("2026-09-01T00:00"),
        delivered_at=delivered,
    )
    Slice.objects.create(campaign=camp, organization=p1, names=5, deadline=at("2026-09-01T00:00"))

    # One advisory published in the quarter; its messages accepted for A1 (twice) and A2,
    # dead for E1: it reached 2 organisations. One published after the quarter, one draft.
    notice = Notice.objects.create(kind="advisory")
    for org, state in (
        (a1, Message.ACCEPTED),
        (a1, Message.ACCEPTED),
        (a2, Message.ACCEPTED),
        (e1, Message.DEAD),
    ):
        Message.objects.create(
            notice=notice,
            kind="advisory",
            channel=Message.EMAIL,
            organization=org,
            address=f"sec@{org.slug}.example",
            subject="advisory",
            body="b",
            state=state,
            accepted_at=at("2026-09-05T01:00") if state == Message.ACCEPTED else None,
        )
    _advisory("T-ADV-1", at("2026-09-05T00:00"), notice)
    _advisory("T-ADV-2", at("2026-10-02T00:00"), None)
    Advisory.objects.create(
        tracking_id="T-ADV-3", title="draft", category=Advisory.SECURITY, summary="s"
    )

    # Contacts, judged at the quarter's end with DNSCC_CONTACT_VERIFY_DAYS = 180 (fresh
    # since 2026-04-04): A1 fresh, A2 stale, E1 never verified, P1 fresh, and a P1 contact
    # verified only after the quarter (not counted).
    for org, verified in (
        (a1, at("2026-09-01T00:00")),
        (a2, at("2026-01-01T00:00")),
        (e1, None),
        (p1, at("2026-09-30T00:00")),
    ):
        Contact.objects.create(
            organization=org,
            name=f"sec {org.slug}",
            email=f"sec@{org.slug}.example",
            verified_at=verified,
        )
    Contact.objects.create(
        organization=p1, name="late", email="late@p1.example", verified_at=at("2026-10-05T00:00")
    )
    # TLDs: one per operator, one without an operator (NA), one not delegated (left out).
    for name, org, region in (
        ("ta1", a1, "AF"),
        ("ta2", a2, "AF"),
        ("te1", e1, "EU"),
        ("tp1", p1, "AP"),
        ("tnone", None, "NA"),
    ):
        Tld.objects.create(name=name, kind=Tld.CCTLD, operator=org, region=region)
    Tld.objects.create(name="tgone", kind=Tld.CCTLD, operator=a1, region="AF", delegated=False)
    return h


def _advisory(tracking: str, published: dt.datetime, notice: Notice | None) -> None:
    Advisory.objects.create(
        tracking_id=tracking,
        title=tracking,
        category=Advisory.SECURITY,
        summary="s",
        status=Advisory.PUBLISHED,
        published_at=published,
        notice=notice,
        version=1,
    )
