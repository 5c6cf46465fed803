"""DNS verification of campaign outcomes: verdicts per name, mismatches, counters, schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dnscc.campaigns import tasks
from dnscc.campaigns.models import SINKHOLE, Slice, Snapshot, Target, VerificationRun
from dnscc.campaigns.verification import expected_ok, verify_campaign, verify_due
from dnscc.lab.pytest_plugin import LabHandle
from tests.campaigns.authz_rows import make_results_campaign
from tests.conftest import World


@pytest.mark.parametrize(
    ("action", "observed", "ok"),
    [
        ("suspend", "not_delegated", True),
        ("suspend", "delegated", False),
        ("block", "not_delegated", True),
        ("block", "sinkholed", False),
        ("sinkhole", "sinkholed", True),
        ("sinkhole", "not_delegated", False),
        ("sinkhole", "error", None),
        ("transfer", "delegated", None),
        ("release", "delegated", True),
    ],
)
def test_what_dns_shows_is_judged_by_the_action(action: str, observed: str, ok: bool) -> None:
    assert expected_ok(action, observed) is ok


def test_names_of_a_tld_without_known_servers_stay_unverified_as_errors(world: World) -> None:
    campaign = make_results_campaign(world)
    Target.objects.filter(campaign=campaign, name="dga0.alpha").update(outcome=Target.DONE)

    run = verify_campaign(campaign, servers={})

    assert (run.names, run.ok, run.bad, run.errors) == (6, 0, 0, 6)
    assert set(Target.objects.values_list("observed", "verified_ok", "mismatch")) == {
        ("error", None, False)
    }
    assert "no address for the TLD's name servers" in Target.objects.first().evidence  # type: ignore[union-attr]
    assert run.detail["tlds_without_servers"] == ["alpha", "bravo"]
    assert Snapshot.objects.filter(campaign=campaign).count() == 1


def test_verify_due_skips_a_campaign_verified_within_its_interval(world: World) -> None:
    campaign = make_results_campaign(world)
    now = timezone.now()
    VerificationRun.objects.create(campaign=campaign, started_at=now - dt.timedelta(minutes=5))
    assert verify_due(now=now) == {"verified": []}


def test_the_scheduler_enqueues_each_job_once_per_interval(world: World) -> None:
    now = timezone.now()
    first = tasks.schedule(now=now)
    second = tasks.schedule(now=now + dt.timedelta(seconds=1))
    assert first == [tasks.VERIFY_SCHEDULE, tasks.ESCALATE_SCHEDULE]
    assert second == []


@pytest.mark.lab
def test_verification_at_the_lab_shows_who_acted_and_who_only_said_so(
    world: World, lab: LabHandle
) -> None:
    """In the lab's .nl: 4 names suspended (removed), 2 reported done but left delegated,
    2 sinkholed; in .se: names never acted on."""
    nl, se = lab.tlds[0], lab.tlds[1]
    world.tld_a.delete()
    world.tld_b.delete()
    from dnscc.directory.models import Tld

    Tld.objects.create(name=nl, kind=Tld.CCTLD, operator=world.org_a)
    Tld.objects.create(name=se, kind=Tld.CCTLD, operator=world.org_b)
    campaign = make_results_campaign(world, names_per_tld=8)
    campaign.sinkhole_ns = ["ns1.sinkhole.example", "ns2.sinkhole.example"]
    campaign.save()
    # make_results_campaign named the names after world's TLDs: rename them into the lab's.
    for t in Target.objects.filter(campaign=campaign):
        new_tld = nl if t.tld == "alpha" else se
        t.name = f"fverify-{t.name.split('.')[0]}.{new_tld}"
        t.tld = new_tld
        t.save()
    nl_names = sorted(Target.objects.filter(tld=nl).values_list("name", flat=True))
    se_names = sorted(Target.objects.filter(tld=se).values_list("name", flat=True))
    Target.objects.filter(name__in=nl_names[6:]).update(action=SINKHOLE)
    Target.objects.filter(name__in=nl_names[:6]).update(outcome=Target.DONE)
    ns = ["ns1.example.net"]
    try:
        lab.lab.apply_registrations(
            {nl: dict.fromkeys(nl_names, ns), se: dict.fromkeys(se_names, ns)}
        )
        lab.lab.apply_registrations(
            {
                nl: {
                    **dict.fromkeys(nl_names[:4]),
                    **dict.fromkeys(nl_names[6:], campaign.sinkhole_ns),
                }
            }
        )
        servers = {t: list(lab.tld_servers(t).values()) for t in (nl, se)}

        run = verify_campaign(campaign, servers=servers, rate=500)
    finally:
        lab.lab.apply_registrations({nl: dict.fromkeys(nl_names), se: dict.fromkeys(se_names)})

    observed = dict(Target.objects.values_list("name", "observed"))
    assert {n: observed[n] for n in nl_names} == {
        **dict.fromkeys(nl_names[:4], "not_delegated"),
        **dict.fromkeys(nl_names[4:6], "delegated"),
        **dict.fromkeys(nl_names[6:], "sinkholed"),
    }
    assert {observed[n] for n in se_names} == {"delegated"}
    mismatched = set(Target.objects.filter(mismatch=True).values_list("name", flat=True))
    assert mismatched == set(nl_names[4:6])
    assert (run.ok, run.bad, run.errors) == (6, 10, 0)
    slice_nl = Slice.objects.get(campaign=campaign, organization=world.org_a)
    assert (slice_nl.verified_ok, slice_nl.verified_bad, slice_nl.mismatches) == (6, 2, 2)


def _all_not_delegated(monkeypatch: pytest.MonkeyPatch, *, ok: bool = True) -> None:
    from dnscc.campaigns import verification

    def probe(names_by_tld, actions, servers, **_kw):  # type: ignore[no-untyped-def]
        observed = "not_delegated" if ok else "delegated"
        return {n: (observed, ok, "") for names in names_by_tld.values() for n in names}, 1

    monkeypatch.setattr(verification, "_probe", probe)


def test_an_unacknowledged_slice_whose_names_all_look_done_stays_delivered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_results_campaign(world)
    Slice.objects.filter(organization=world.org_b).update(
        state=Slice.ACKNOWLEDGED, acknowledged_at=timezone.now()
    )
    _all_not_delegated(monkeypatch)
    verify_campaign(campaign, servers={"alpha": ["127.0.0.1"], "bravo": ["127.0.0.2"]})
    states = dict(Slice.objects.values_list("organization_id", "state"))
    assert states == {world.org_a.pk: Slice.DELIVERED, world.org_b.pk: Slice.COMPLETE}


def test_a_complete_slice_whose_names_are_no_longer_all_verified_goes_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_results_campaign(world)
    Slice.objects.filter(organization=world.org_a).update(
        state=Slice.COMPLETE, accepted_at=timezone.now()
    )
    Slice.objects.filter(organization=world.org_b).update(
        state=Slice.COMPLETE, acknowledged_at=timezone.now()
    )
    _all_not_delegated(monkeypatch, ok=False)
    verify_campaign(campaign, servers={"alpha": ["127.0.0.1"], "bravo": ["127.0.0.2"]})
    states = dict(Slice.objects.values_list("organization_id", "state"))
    assert states == {world.org_a.pk: Slice.DELIVERED, world.org_b.pk: Slice.ACKNOWLEDGED}


def test_sinkhole_names_without_a_sinkhole_set_do_not_stop_the_others(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_results_campaign(world)
    Target.objects.filter(name="dga0.alpha").update(action=SINKHOLE)
    _all_not_delegated(monkeypatch)
    run = verify_campaign(campaign, servers={"alpha": ["127.0.0.1"], "bravo": ["127.0.0.2"]})
    assert (run.ok, run.errors) == (5, 1)
    sinkhole = Target.objects.get(name="dga0.alpha")
    assert (sinkhole.observed, sinkhole.verified_ok) == ("error", None)
    assert "sinkhole" in sinkhole.evidence


def test_one_tld_the_probe_refuses_leaves_the_other_tlds_verified(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dnscc.campaigns import verification
    from dnscc.core.errors import InputError

    campaign = make_results_campaign(world)

    def probe(names_by_tld, actions, servers, **_kw):  # type: ignore[no-untyped-def]
        if "alpha" in names_by_tld:
            raise InputError("a malformed name")
        return {n: ("not_delegated", True, "") for ns in names_by_tld.values() for n in ns}, 1

    monkeypatch.setattr(verification, "_probe", probe)
    run = verify_campaign(campaign, servers={"alpha": ["127.0.0.1"], "bravo": ["127.0.0.2"]})
    assert (run.ok, run.errors) == (3, 3)
    assert "a malformed name" in Target.objects.get(name="dga0.alpha").evidence


def test_out_of_bailiwick_name_servers_get_addresses_from_other_tlds_glue(world: World) -> None:
    from dnscc.campaigns.verification import servers_from_directory
    from dnscc.directory.models import Tld

    Tld.objects.filter(name="bravo").update(ns=["ns1.nic.alpha.", "ns9.elsewhere"], glue={})
    servers = servers_from_directory({"alpha", "bravo"})
    assert servers == {"alpha": ["192.0.2.1"], "bravo": ["192.0.2.1"]}
    Tld.objects.filter(name="bravo").update(ns=["ns9.elsewhere"])
    assert "bravo" not in servers_from_directory({"alpha", "bravo"})


def test_a_run_whose_servers_are_all_outside_the_egress_rule_is_recorded_as_not_run(
    world: World,
) -> None:
    from dnscc.accounts.models import AuditEvent
    from dnscc.campaigns.reports import dashboard

    campaign = make_results_campaign(world)
    # Real Internet addresses, as the directory's glue has them: the suite is loopback-only.
    run = verify_campaign(campaign, servers={"alpha": ["192.5.6.30"], "bravo": ["2001:503::2"]})

    assert run.not_run.startswith("not run: the servers of all 2 TLD(s) are outside")
    assert "DNSCC_PROBE_NETWORKS=loopback" in run.not_run
    assert (run.names, run.queries, run.errors) == (0, 0, 0)
    # The names keep what they had (nothing was checked), and no progress point is invented.
    assert set(Target.objects.values_list("observed", "verified_ok")) == {("", None)}
    assert not Snapshot.objects.filter(campaign=campaign).exists()
    event = AuditEvent.objects.get(action="campaign.verification_not_run")
    assert "outside the networks" in event.summary
    assert dashboard(campaign)["last_run"]["not_run"] == run.not_run
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/dashboard/")
    assert page.status_code == 200
    assert "not run: the servers of all 2 TLD(s)" in page.content.decode()


def test_names_of_a_tld_outside_the_egress_rule_are_not_checked_and_say_why(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_results_campaign(world)
    _all_not_delegated(monkeypatch)
    run = verify_campaign(campaign, servers={"alpha": ["192.5.6.30"], "bravo": ["127.0.0.2"]})
    assert not run.not_run
    assert (run.ok, run.errors) == (3, 3)
    alpha = Target.objects.get(name="dga0.alpha")
    assert (alpha.observed, alpha.verified_ok) == ("error", None)
    assert "not checked: the servers of .alpha (192.5.6.30) are outside" in alpha.evidence
