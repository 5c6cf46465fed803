"""Findings are deduplicated from first seen to resolved; alerts open and resolve with them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from dnscc.monitoring import services
from dnscc.monitoring.models import Alert, Finding, Schedule, Sweep, ZoneStatus
from tests.conftest import World


@dataclass(frozen=True)
class FakeEvidence:
    qname: str
    qtype: str
    server: str
    rcode: str


@dataclass(frozen=True)
class FakeFinding:
    code: str
    severity: str
    message: str
    server: str | None = None
    evidence: tuple[FakeEvidence, ...] = ()


@dataclass(frozen=True)
class FakeReport:
    zone: str
    findings: tuple[FakeFinding, ...] = ()
    untested: tuple[str, ...] = ()
    queries: int = 0
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


LAME = FakeFinding(
    "DELEGATION04",
    "error",
    "ns1.nic.alpha answers without authority",
    "ns1.nic.alpha",
    (FakeEvidence("alpha.", "SOA", "192.0.2.1", "NOERROR"),),
)
DRIFT = FakeFinding("CONSISTENCY01", "warning", "SOA serials differ")


def _sweep() -> Sweep:
    return services.start_sweep(trigger="test")


def test_a_new_finding_is_stored_with_its_evidence(world: World) -> None:
    counts = services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    assert counts == {"new": 1, "resolved": 0, "open": 1}
    finding = Finding.objects.get()
    assert (finding.zone, finding.code, finding.server) == (
        "alpha",
        "DELEGATION04",
        "ns1.nic.alpha",
    )
    assert finding.evidence == [
        {"qname": "alpha.", "qtype": "SOA", "server": "192.0.2.1", "rcode": "NOERROR"}
    ]


def test_a_finding_seen_again_is_one_row_with_first_and_last_seen(world: World) -> None:
    t0 = timezone.now()
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)), now=t0)
    later = t0 + timedelta(minutes=10)
    counts = services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)), now=later)
    assert counts["new"] == 0
    finding = Finding.objects.get()
    assert (finding.first_seen, finding.last_seen) == (t0, later)


def test_a_finding_gone_from_a_sweep_is_resolved(world: World) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME, DRIFT)))
    counts = services.record_zone_report(_sweep(), FakeReport("alpha", (DRIFT,)))
    assert counts == {"new": 0, "resolved": 1, "open": 1}
    assert Finding.objects.get(code="DELEGATION04").resolved_at is not None
    assert Finding.objects.get(code="CONSISTENCY01").resolved_at is None


def test_an_untestable_zone_does_not_resolve_its_findings(world: World) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    services.record_zone_report(_sweep(), FakeReport("alpha", (), untested=("no server answered",)))
    assert Finding.objects.get().resolved_at is None
    assert ZoneStatus.objects.get(zone="alpha").worst == "untested"


def test_a_finding_that_returns_after_resolving_is_a_new_row(world: World) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    services.record_zone_report(_sweep(), FakeReport("alpha"))
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    assert Finding.objects.count() == 2
    assert Finding.objects.filter(resolved_at__isnull=True).count() == 1


def test_an_error_opens_an_alert_routed_to_the_operators_desk(world: World) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    alert = Alert.objects.get()
    assert alert.organization == world.org_a
    assert alert.desk == "AF"  # Alpha Registry's region
    assert alert.state == Alert.OPEN
    assert "DELEGATION04" in alert.title


def test_a_warning_below_the_threshold_opens_no_alert(world: World) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (DRIFT,)))
    assert not Alert.objects.exists()


def test_the_alert_says_when_its_finding_resolves(world: World) -> None:
    sweep = _sweep()
    services.record_zone_report(sweep, FakeReport("alpha", (LAME,)))
    later = _sweep()
    services.record_zone_report(later, FakeReport("alpha"))
    alert = Alert.objects.get()
    assert alert.state == Alert.RESOLVED
    assert f"sweep {later.pk}" in alert.resolution


def test_acknowledging_is_audited_and_happens_once(world: World) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    alert = Alert.objects.get()
    services.acknowledge_alert(alert, world.users["coordinator"])
    services.acknowledge_alert(alert, world.users["admin"])
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.users["coordinator"]
    from dnscc.accounts.models import AuditEvent

    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1


def test_the_sweep_keeps_aggregates_for_the_history_plot(world: World) -> None:
    sweep = _sweep()
    services.record_zone_report(sweep, FakeReport("alpha", (LAME, DRIFT)))
    services.finish_sweep(sweep, zones_done=1, zones_untested=0, queries=10, new=2, resolved=0)
    sweep.refresh_from_db()
    assert sweep.open_by_severity["error"] == 1
    assert sweep.open_by_severity["warning"] == 1
    assert services.history()[-1]["counts"]["error"] == 1


def test_a_due_schedule_is_claimed_by_exactly_one_caller(db: None) -> None:
    now = timezone.now()
    assert services.claim_due("sweep", 600, now=now) is True
    assert services.claim_due("sweep", 600, now=now) is False
    assert services.claim_due("sweep", 600, now=now + timedelta(seconds=601)) is True
    assert Schedule.objects.get().last_run_at == now + timedelta(seconds=601)


@pytest.mark.parametrize("role", ["operator", "partner", "outsider", "norole"])
def test_health_pages_are_for_staff_only(world: World, role: str) -> None:
    services.record_zone_report(_sweep(), FakeReport("alpha", (LAME,)))
    for path in ("/health/", "/health/zone/alpha/", "/health/alerts/"):
        response = world.client(role).get(path)
        assert response.status_code == 403
        assert b"DELEGATION04" not in response.content


def test_the_duty_desk_sees_the_alert_in_the_portal(world: World) -> None:
    sweep = _sweep()
    services.record_zone_report(sweep, FakeReport("alpha", (LAME,)))
    services.finish_sweep(sweep, zones_done=1, zones_untested=0, queries=3, new=1, resolved=0)
    page = world.client("coordinator").get("/health/alerts/")  # coord1 staffs the AF desk
    assert page.status_code == 200
    assert b"DELEGATION04 on .alpha" in page.content
    health = world.client("coordinator").get("/health/")
    assert b'aria-label="Open findings over time"' in health.content
    assert b"DELEGATION04" in health.content  # offered as a check filter
    zone = world.client("coordinator").get("/health/zone/alpha/")
    assert b"192.0.2.1" in zone.content  # the evidence is shown


def test_evidence_is_trimmed_to_a_bounded_size_keeping_the_first_proofs() -> None:
    many = [FakeEvidence(f"n{i}.alpha.", "SOA", "192.0.2.1", "NOERROR" * 20) for i in range(500)]
    kept = services.evidence_json(many)
    assert 0 < len(kept) < 500
    assert kept[0]["qname"] == "n0.alpha."
    assert len(json.dumps(kept)) <= services.MAX_EVIDENCE_BYTES
    huge = services.evidence_json([FakeEvidence("x.", "TXT", "192.0.2.1", "y" * 40_000)])
    assert len(huge) == 1
    assert len(huge[0]) == 4000


@dataclass(frozen=True)
class TaggedFinding:
    code: str
    tag: str
    severity: str
    message: str
    server: str | None = None
    evidence: tuple[FakeEvidence, ...] = ()


@dataclass(frozen=True)
class ChainReport:
    zone: str
    findings: tuple[TaggedFinding, ...] = ()
    untested: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    chain: tuple[dict[str, str], ...] = ()
    queries: int = 0


BROKEN_CHAIN = (
    {"kind": "node", "id": "parent", "type": "zone", "label": ".", "status": "ok"},
    {
        "kind": "node",
        "id": "ds-1-2",
        "type": "DS",
        "label": "DS 1 alg 13 digest 2",
        "status": "bad",
        "note": "digest does not match the DNSKEY",
    },
    {
        "kind": "node",
        "id": "key-1-13",
        "type": "DNSKEY",
        "label": "DNSKEY 1 KSK alg 13",
        "status": "ok",
    },
    {"kind": "edge", "from": "parent", "to": "ds-1-2", "status": "ok"},
    {
        "kind": "edge",
        "from": "ds-1-2",
        "to": "key-1-13",
        "status": "bad",
        "note": "digest mismatch",
    },
)


def test_two_tags_of_one_test_case_are_two_findings(world: World) -> None:
    both = (
        TaggedFinding("DELEGATION07", "EXTRA_NAME_PARENT", "error", "only in the parent"),
        TaggedFinding("DELEGATION07", "EXTRA_NAME_CHILD", "notice", "only in the zone"),
    )
    counts = services.record_zone_report(_sweep(), ChainReport("alpha", both))
    assert counts["new"] == 2
    assert set(Finding.objects.values_list("code", "tag")) == {
        ("DELEGATION07", "EXTRA_NAME_PARENT"),
        ("DELEGATION07", "EXTRA_NAME_CHILD"),
    }
    # The error opens an alert; the notice does not (the profile's level, the threshold).
    assert list(Alert.objects.values_list("finding__tag", flat=True)) == ["EXTRA_NAME_PARENT"]


def test_the_zone_page_draws_the_dnssec_chain_and_says_where_it_breaks(world: World) -> None:
    report = ChainReport(
        "alpha",
        (TaggedFinding("DNSSEC02", "DS02_NO_MATCH_DS_DNSKEY", "error", "DS 1 matches no key"),),
        skipped=("DNSCC_HIJACK: no baseline NS set recorded for the zone",),
        chain=BROKEN_CHAIN,
    )
    services.record_zone_report(_sweep(), report)
    page = world.client("coordinator").get("/health/zone/alpha/")
    assert page.status_code == 200
    assert b'aria-label="DNSSEC chain of alpha."' in page.content  # drawn by Graphviz
    assert b"Where the chain breaks" in page.content
    assert b"digest does not match the DNSKEY" in page.content
    assert b"DS02_NO_MATCH_DS_DNSKEY" in page.content
    assert b"Skipped for want of input" in page.content


def test_chain_labels_from_a_server_are_data_not_markup() -> None:
    from dnscc.monitoring.chain import chain_svg, to_dot

    evil = (
        {
            "kind": "node",
            "id": 'x"];evil',
            "type": "DS",
            "label": "<script>x</script>",
            "status": "bad",
            "note": '"quoted"',
        },
    )
    dot = to_dot("alpha.", evil)
    assert 'x\\"];evil' in dot
    svg = chain_svg("alpha.", evil)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
