"""Intake: the public form (confirmation by mail, rate limit, honeypot, size), API reports,
monitoring alerts becoming reports, and the triage decisions on them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.incidents import intake, services, tasks
from dnscc.incidents.models import Desk, Incident, Report, TimelineEntry
from dnscc.outreach.models import Message
from tests.conftest import World

XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _intake_settings(settings: Any) -> None:
    settings.OUTREACH_AUTODRAIN = False
    settings.REPORT_RATE = "5/hour"
    settings.REPORT_MAX_BYTES = 64 * 1024


@pytest.fixture
def af_desk(db: Any) -> Desk:
    """One desk on duty around the clock: every new report is routed to it."""
    Desk.objects.all().delete()  # instead of the default rota the migration created
    return Desk.objects.create(region="AF", name="Africa desk", shift_start_hour=0, shift_hours=24)


def _form(**overrides: str) -> dict[str, str]:
    return {
        "reporter_name": "Ada Reporter",
        "reporter_email": "ada@reporter.example",
        "title": "ns1.nic.alpha answers with forged data",
        "description": "Since 10:00 UTC ns1 answers www.alpha with 203.0.113.66.",
        "dns_type": "domain-hijack",
        "scope": "www.alpha .alpha 192.0.2.1",
        "tlp": "AMBER",
        **overrides,
    }


def _submit(client: Client, **overrides: str) -> Any:
    return client.post("/report/", _form(**overrides))


def _confirmation_link(address: str = "ada@reporter.example") -> str:
    message = Message.objects.filter(kind="report_confirmation", address=address).latest("id")
    match = re.search(r"http://[^/\s]+(/report/confirm/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _public_report(client: Client | None = None, **overrides: str) -> Report:
    client = client or Client()
    assert _submit(client, **overrides).status_code == 302
    client.post(_confirmation_link(overrides.get("reporter_email", "ada@reporter.example")))
    return Report.objects.latest("id")


def _coordinator(world: World) -> tuple[Any, audit.Actor]:
    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user)


def _incident(world: World, **data: Any) -> Incident:
    viewer, actor = _coordinator(world)
    fields = {"title": "Alpha outage", "scope": {"tlds": ["alpha"]}, **data}
    return services.create_incident(viewer, actor, fields, user=world.users["coordinator"])


# -- the public path -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_public_path_goes_from_the_form_through_the_mailed_link_to_a_desks_triage_list(
    world: World, af_desk: Desk
) -> None:
    client = Client()
    page = client.get("/report/")
    assert page.status_code == 200
    assert b'name="website"' in page.content
    assert b'class="hp"' in page.content

    response = _submit(client)
    assert response.status_code == 302
    assert response["Location"] == "/report/sent/"
    assert b"Check your mail" in client.get("/report/sent/").content

    report = Report.objects.get()
    assert report.state == Report.UNCONFIRMED
    message = Message.objects.get(kind="report_confirmation")
    assert message.address == "ada@reporter.example"
    assert message.state == Message.QUEUED
    link = _confirmation_link()
    assert report.title in message.subject
    triage = world.client("coordinator").get("/incidents/reports/?desk=all")
    assert report.title.encode() not in triage.content, "unconfirmed reports wait"

    # A mail scanner following the link must not confirm for the reporter.
    asked = client.get(link)
    assert asked.status_code == 200
    assert b"Confirm" in asked.content
    report.refresh_from_db()
    assert report.state == Report.UNCONFIRMED

    confirmed = client.post(link)
    assert confirmed.status_code == 200
    report.refresh_from_db()
    assert report.state == Report.NEW
    assert report.desk == "AF"
    assert report.scope == {
        "names": ["www.alpha"],
        "tlds": ["alpha"],
        "ips": ["192.0.2.1"],
        "resolvers": [],
    }
    assert f"/report/status/{report.status_token}/".encode() in confirmed.content
    assert client.post(link).status_code == 404, "a link confirms once"

    triage = world.client("coordinator").get("/incidents/reports/")
    assert triage.status_code == 200
    assert report.title.encode() in triage.content
    status = client.get(f"/report/status/{report.status_token}/")
    assert b"New" in status.content


@pytest.mark.django_db
def test_an_unconfirmed_report_expires_after_48_hours(world: World) -> None:
    client = Client()
    _submit(client)
    link = _confirmation_link()
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(hours=49))
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert client.get(f"/report/status/{report.status_token}/").status_code == 404
    report.refresh_from_db()
    assert report.state == Report.UNCONFIRMED


@pytest.mark.django_db
def test_the_purge_deletes_expired_unconfirmed_reports_and_keeps_every_other(
    world: World, settings: Any
) -> None:
    settings.REPORT_RATE = "10/hour"
    client = Client()
    for n in range(3):
        _submit(client, title=f"report {n}", reporter_email=f"r{n}@reporter.example")
    stale, fresh, confirmed = Report.objects.order_by("id")
    client.post(_confirmation_link("r2@reporter.example"))
    old = timezone.now() - timedelta(hours=49)
    Report.objects.filter(pk__in=[stale.pk, confirmed.pk]).update(created_at=old)
    assert intake.purge_unconfirmed() == 1
    assert set(Report.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}
    event = AuditEvent.objects.get(action="incident.reports_purged")
    assert event.data["count"] == 1
    assert event.data["ids"] == [stale.pk]
    # The submissions still count toward the rate limit: the audit log keeps them.
    assert AuditEvent.objects.filter(action=intake.SUBMIT_ACTION).count() == 3
    assert intake.purge_unconfirmed() == 0  # nothing left: no second entry
    assert AuditEvent.objects.filter(action="incident.reports_purged").count() == 1
    # The fresh one expires in turn.
    assert intake.purge_unconfirmed(now=timezone.now() + timedelta(hours=49)) == 1
    assert list(Report.objects.values_list("pk", flat=True)) == [confirmed.pk]


@pytest.mark.django_db
def test_the_scheduler_enqueues_the_purge_hourly_beside_the_minutely_jobs(world: World) -> None:
    now = timezone.now()
    assert tasks.schedule(now=now) == [
        tasks.SLA_SCHEDULE,
        tasks.SHIFT_SCHEDULE,
        tasks.PURGE_SCHEDULE,
    ]
    assert tasks.schedule(now=now + timedelta(seconds=1)) == []
    later = tasks.schedule(now=now + timedelta(minutes=2))
    assert later == [tasks.SLA_SCHEDULE, tasks.SHIFT_SCHEDULE]
    assert tasks.PURGE_SCHEDULE in tasks.schedule(now=now + timedelta(minutes=61))


@pytest.mark.django_db
def test_the_form_refuses_a_client_over_the_rate_with_a_429_page(
    world: World, settings: Any
) -> None:
    settings.REPORT_RATE = "2/hour"
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert _submit(client).status_code == 302
    assert _submit(client).status_code == 302
    refused = _submit(client)
    assert refused.status_code == 429
    assert b"Too many reports from your address" in refused.content
    assert int(refused["Retry-After"]) > 60
    assert Report.objects.count() == 2
    # Another address has its own bucket.
    assert _submit(Client(REMOTE_ADDR="198.51.100.8")).status_code == 302
    # The audit log keeps a keyed digest of the address, not the address.
    assert not AuditEvent.objects.filter(object_id="198.51.100.7").exists()


@pytest.mark.django_db
def test_the_bucket_refills_with_time(world: World, settings: Any) -> None:
    settings.REPORT_RATE = "1/hour"
    client = Client(REMOTE_ADDR="198.51.100.9")
    assert _submit(client).status_code == 302
    assert _submit(client).status_code == 429
    key = intake.client_key("198.51.100.9")
    wait = intake.retry_after("198.51.100.9", now=timezone.now() + timedelta(minutes=61))
    assert wait == 0.0, key


@pytest.mark.django_db
def test_a_filled_honeypot_looks_accepted_but_keeps_and_sends_nothing(world: World) -> None:
    response = _submit(Client(), website="http://spam.example/")
    assert response.status_code == 302
    assert Report.objects.count() == 0
    assert not Message.objects.filter(kind="report_confirmation").exists()


@pytest.mark.django_db
def test_an_oversized_report_is_refused_naming_the_limit(world: World, settings: Any) -> None:
    settings.REPORT_MAX_BYTES = 2048
    response = _submit(Client(), description="x" * 3000)
    assert response.status_code == 200
    assert b"over the limit of 2048 bytes" in response.content
    assert Report.objects.count() == 0
    api = world.api("operator").post(
        "/api/v1/reports/",
        data=json.dumps({"title": "big", "description": "y" * 3000}),
        content_type="application/json",
    )
    assert api.status_code == 422
    assert "2048 bytes" in api.json()["detail"]


@pytest.mark.django_db
def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    world: World, settings: Any
) -> None:
    settings.REPORT_MAX_BYTES = 1024
    response = _submit(Client(), description="x" * 20000)
    assert response.status_code == 413
    assert b"over the limit of 1024 bytes" in response.content


@pytest.mark.django_db
def test_the_form_names_each_bad_field(world: World) -> None:
    response = _submit(
        Client(), reporter_email="not-an-address", title="", scope="www.alpha bad_name!", tlp="RED"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "email: &#x27;not-an-address&#x27; is not an email address" in text
    assert "title: is required" in text
    assert "scope[1]" in text
    assert "an anonymous report cannot be RED" in text
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_script_tags_in_every_field_are_escaped_on_the_triage_and_status_pages(
    world: World, af_desk: Desk
) -> None:
    client = Client()
    report = _public_report(
        client,
        reporter_name=XSS,
        title=XSS,
        description=XSS,
        scope="www.alpha",
    )
    assert report.state == Report.NEW
    viewer, actor = _coordinator(world)
    staff = world.client("coordinator")
    for url in ("/incidents/reports/", f"/incidents/reports/{report.pk}/"):
        page = staff.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    intake.reject_report(viewer, actor, report, XSS)
    status = client.get(f"/report/status/{report.status_token}/").content.decode()
    assert XSS not in status
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in status
    assert "<script" not in status.split("</head>")[1]


# -- API reports -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_operators_api_report_carries_its_organisation_and_only_it_and_staff_see_it(
    world: World, af_desk: Desk
) -> None:
    response = world.api("operator").post(
        "/api/v1/reports/",
        data=json.dumps({"title": "Alpha DS mismatch", "scope": ["alpha"], "tlp": "AMBER"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organization"] == "alpha-registry"
    assert body["state"] == "new"
    assert body["desk"] == "AF"
    rid = body["id"]
    assert world.api("operator").get(f"/api/v1/reports/{rid}").status_code == 200
    assert world.api("outsider").get(f"/api/v1/reports/{rid}").status_code == 404
    assert world.api("partner").get("/api/v1/reports/").json() == []
    assert world.api("coordinator").get(f"/api/v1/reports/{rid}").status_code == 200
    assert (
        world.api("operator")
        .post(
            f"/api/v1/reports/{rid}/reject",
            data=json.dumps({"reason": "no"}),
            content_type="application/json",
        )
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_bad_scope_entries_are_named_with_their_position(world: World) -> None:
    response = world.api("partner").post(
        "/api/v1/reports/",
        data=json.dumps({"title": "t", "scope": "www.alpha a..b bad!name"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["scope[1]", "scope[2]"]


# -- monitoring alerts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "zone", "dns_type"),
    [
        ("DNSSEC04", "alpha", "dnssec-failure"),
        ("DNSCC_SIG_EXPIRY", "alpha", "dnssec-failure"),
        ("DELEGATION04", "alpha", "broken-delegation"),
        ("CONSISTENCY05", "alpha", "broken-delegation"),
        ("DNSCC_HIJACK", "alpha", "domain-hijack"),
        ("DNSCC_DELEGATION_CHANGED", "alpha", "domain-hijack"),
        ("CONNECTIVITY01", "", "root-server-anomaly"),
        ("CONNECTIVITY01", "alpha", "broken-delegation"),
        ("BASIC02", "alpha", "broken-delegation"),
        ("NAMESERVER01", "alpha", "other"),
        ("DNSCC_NXDOMAIN_REWRITE", "alpha", "response-rewriting"),
        ("DNSCC_SLOW", "alpha", "other"),
    ],
)
def test_a_finding_code_maps_to_its_dns_type(code: str, zone: str, dns_type: str) -> None:
    assert intake.dns_type_for_finding(code, zone) == dns_type


@pytest.mark.django_db
def test_an_alert_opened_by_monitoring_creates_a_report_for_its_desk(world: World) -> None:
    from dnscc.monitoring.models import Alert, Finding

    intake.connect()
    intake.connect()  # idempotent
    now = timezone.now()
    finding = Finding.objects.create(
        zone="alpha",
        code="DNSSEC04",
        severity="error",
        message="RRSIG expired",
        first_seen=now,
        last_seen=now,
    )
    alert = Alert.objects.create(
        finding=finding,
        organization=world.org_a,
        desk="AF",
        severity="error",
        title="DNSSEC04 on .alpha: RRSIG expired",
        opened_at=now,
    )
    report = Report.objects.get(alert=alert)
    assert report.source == Report.ALERT
    assert report.state == Report.NEW
    assert report.desk == "AF"
    assert report.dns_type == "dnssec-failure"
    assert report.scope["tlds"] == ["alpha"]
    assert report.title == alert.title
    page = world.client("coordinator").get("/incidents/reports/?desk=all")
    assert alert.title.encode() in page.content


# -- decisions ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_rejecting_shows_the_reason_on_the_status_page_and_mails_the_reporter(
    world: World, af_desk: Desk
) -> None:
    client = Client()
    report = _public_report(client)
    staff = world.client("coordinator")
    response = staff.post(
        f"/incidents/reports/{report.pk}/reject", {"reason": "Not DNS: a web defacement."}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == Report.REJECTED
    assert report.decided_by == "coord1"
    status = client.get(f"/report/status/{report.status_token}/")
    assert b"Rejected" in status.content
    assert b"Not DNS: a web defacement." in status.content
    mail = Message.objects.get(kind="report_decision")
    assert mail.address == "ada@reporter.example"
    assert "Not DNS: a web defacement." in mail.body
    assert report.status_token in mail.body
    assert AuditEvent.objects.filter(
        action="incident.report_reject", object_id=str(report.pk)
    ).exists()


@pytest.mark.django_db
def test_a_rejection_needs_a_reason(world: World, af_desk: Desk) -> None:
    report = _public_report()
    response = world.api("coordinator").post(
        f"/api/v1/reports/{report.pk}/reject",
        data=json.dumps({"reason": "  "}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


@pytest.mark.django_db
def test_a_decided_report_cannot_be_decided_again(world: World, af_desk: Desk) -> None:
    report = _public_report()
    api = world.api("coordinator")
    first = api.post(
        f"/api/v1/reports/{report.pk}/reject",
        data=json.dumps({"reason": "duplicate"}),
        content_type="application/json",
    )
    assert first.status_code == 200
    again = api.post(
        f"/api/v1/reports/{report.pk}/open", data="{}", content_type="application/json"
    )
    assert again.status_code == 409
    assert "already decided" in again.json()["detail"]
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_opening_a_report_creates_an_incident_with_its_scope_and_a_report_entry(
    world: World, af_desk: Desk
) -> None:
    report = _public_report()
    response = world.api("coordinator").post(
        f"/api/v1/reports/{report.pk}/open",
        data=json.dumps({"impact": "high", "urgency": "high"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "opened"
    incident = Incident.objects.get(ref=body["incident"])
    assert incident.title == report.title
    assert incident.scope["tlds"] == ["alpha"]
    assert incident.severity == "critical"
    assert incident.parties.filter(organization=world.org_a).exists()
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert "report" in kinds
    assert Message.objects.filter(kind="report_decision").count() == 1


@pytest.mark.django_db
def test_merging_adds_the_reports_scope_to_the_incident(world: World, af_desk: Desk) -> None:
    incident = _incident(world, scope={"tlds": ["bravo"]})
    report = _public_report(scope="www.alpha")
    response = world.client("coordinator").post(
        f"/incidents/reports/{report.pk}/merge", {"ref": incident.ref}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    report.refresh_from_db()
    assert report.state == Report.MERGED
    assert report.incident == incident
    assert "www.alpha" in incident.scope["names"]
    assert "bravo" in incident.scope["tlds"]
    assert incident.parties.filter(organization=world.org_a).exists()
    assert incident.timeline.filter(kind="report").exists()


@pytest.mark.django_db
def test_linking_keeps_the_incident_as_it_was_and_records_the_report(
    world: World, af_desk: Desk
) -> None:
    incident = _incident(world)
    version = incident.version
    report = _public_report(scope="www.bravo")
    viewer, actor = _coordinator(world)
    intake.link_report(viewer, actor, report, incident.ref)
    incident.refresh_from_db()
    report.refresh_from_db()
    assert report.state == Report.LINKED
    assert incident.version == version
    assert "www.bravo" not in incident.scope.get("names", [])
    entry = TimelineEntry.objects.get(incident=incident, kind="report")
    assert entry.data["report"] == report.pk


@pytest.mark.django_db
def test_a_decision_on_an_unknown_incident_changes_nothing(world: World, af_desk: Desk) -> None:
    report = _public_report()
    response = world.api("coordinator").post(
        f"/api/v1/reports/{report.pk}/merge",
        data=json.dumps({"ref": "DNSCC-2000-0001"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.state == Report.NEW


@pytest.mark.django_db
def test_the_cli_lists_and_rejects_a_report(
    world: World, af_desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    from dnscc.cli import main

    report = _public_report()
    assert main(["report", "list"]) == 0
    assert report.title in capsys.readouterr().out
    assert main(["report", "reject", str(report.pk), "--reason", "out of scope"]) == 0
    report.refresh_from_db()
    assert report.state == Report.REJECTED
    assert report.decided_by.startswith("cli:")
    assert main(["report", "reject", str(report.pk), "--reason", "again"]) == 75


# -- review findings --------------------------------------------------------------------


def test_an_operators_red_report_is_refused_with_a_hint(world: World, af_desk: Desk) -> None:
    response = world.api("operator").post(
        "/api/v1/reports/",
        data=json.dumps({"title": "Alpha secret", "scope": ["alpha"], "tlp": "RED"}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "AMBER+STRICT" in response.content.decode()
    assert not Report.objects.exists()
    staff = world.api("coordinator").post(
        "/api/v1/reports/",
        data=json.dumps({"title": "Our secret", "scope": ["alpha"], "tlp": "RED"}),
        content_type="application/json",
    )
    assert staff.status_code == 201


@pytest.mark.django_db
def test_parallel_submissions_that_all_passed_the_first_check_are_refused_after_recording(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REPORT_RATE = "2/hour"
    client = Client(REMOTE_ADDR="198.51.100.20")
    assert _submit(client).status_code == 302
    assert _submit(client).status_code == 302
    # A third POST that raced the second one: its first check saw room.
    real = intake.retry_after
    monkeypatch.setattr(
        intake,
        "retry_after",
        lambda ip, **kw: real(ip, **kw) if kw.get("pending") else 0.0,
    )
    assert _submit(client).status_code == 429
    assert Report.objects.count() == 2


@pytest.mark.django_db
def test_the_rate_is_a_sliding_window_never_twice_the_rate_in_one_window(
    world: World, settings: Any
) -> None:
    settings.REPORT_RATE = "2/hour"
    ip = "198.51.100.21"
    key = intake.client_key(ip)
    for _ in range(2):  # a full burst now
        audit.record(audit.SYSTEM, intake.SUBMIT_ACTION, object_type="client", object_id=key)
    later = timezone.now() + timedelta(minutes=50)
    # A bucket would have refilled more than one token by then; the window still holds two.
    wait = intake.retry_after(ip, now=later)
    assert 9 * 60 < wait <= 10 * 60
    assert intake.retry_after(ip, now=later + timedelta(minutes=11)) == 0.0


@pytest.mark.django_db
def test_an_ipv6_client_is_counted_by_its_64(world: World, settings: Any) -> None:
    settings.REPORT_RATE = "1/hour"
    assert _submit(Client(REMOTE_ADDR="2001:db8:1:2::1")).status_code == 302
    assert _submit(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9")).status_code == 429
    assert _submit(Client(REMOTE_ADDR="2001:db8:1:3::1")).status_code == 302
    assert intake.client_key("2001:db8:1:2::1") == intake.client_key("2001:db8:1:2::7")
    assert intake.client_key("192.0.2.1") != intake.client_key("192.0.2.2")


@pytest.mark.django_db
def test_a_nul_character_in_the_form_or_an_api_report_is_refused_naming_the_field(
    world: World, af_desk: Desk
) -> None:
    response = _submit(Client(REMOTE_ADDR="198.51.100.30"), description="a\x00b")
    assert response.status_code == 200
    assert "NUL" in response.content.decode()
    api = world.api("operator").post(
        "/api/v1/reports/",
        data=json.dumps({"title": "a\x00b", "scope": ["alpha"]}),
        content_type="application/json",
    )
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == ["title"]
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_report_about_the_root_opens_with_the_root_server_operators(
    world: World, af_desk: Desk
) -> None:
    from dnscc.directory import lookup
    from dnscc.directory.models import RootServer

    RootServer.objects.create(
        letter="k", host="k.root-servers.net", addresses=["193.0.14.129"], operator=world.csirt
    )
    lookup.invalidate()
    report = _public_report(scope=". www.alpha")
    assert report.scope["tlds"] == ["."]
    viewer, actor = _coordinator(world)
    incident = intake.open_report(viewer, actor, report, user=world.users["coordinator"])
    assert incident.scope["tlds"] == ["."]
    orgs = set(incident.parties.values_list("organization__slug", flat=True))
    assert orgs == {"example-cert", "alpha-registry"}
    second = _public_report(scope=".", reporter_email="bob@reporter.example")
    merged = intake.merge_report(viewer, actor, second, _incident(world).ref)
    assert "." in merged.scope["tlds"]


@pytest.mark.django_db
def test_one_faulty_server_of_many_tlds_gives_one_report_that_lists_them_all(
    world: World,
) -> None:
    from dnscc.monitoring.models import Alert, Finding

    intake.connect()
    now = timezone.now()

    def alert(zone: str, server: str) -> Alert:
        finding = Finding.objects.create(
            zone=zone,
            code="DELEGATION04",
            severity="error",
            server=server,
            message=f"{server} is not authoritative for {zone}.",
            first_seen=now,
            last_seen=now,
        )
        return Alert.objects.create(
            finding=finding,
            organization=world.org_a,
            desk="AF",
            severity="error",
            title=f"DELEGATION04 on .{zone}",
            opened_at=now,
        )

    alert("alpha", "ns1.nic.alpha. (192.0.2.1)")
    alert("beta", "ns1.nic.alpha. (192.0.2.1)")
    alert("gamma", "ns1.nic.alpha. (192.0.2.1)")
    alert("delta", "ns9.other.example. (192.0.2.9)")  # another server: a report of its own

    reports = Report.objects.filter(source=Report.ALERT).order_by("pk")
    assert reports.count() == 2
    grouped = reports[0]
    assert grouped.scope["tlds"] == ["alpha", "beta", "gamma"]
    assert grouped.title == "DELEGATION04 on 3 TLDs served by ns1.nic.alpha. (192.0.2.1)"
    assert "on .gamma" in grouped.description
    assert reports[1].scope["tlds"] == ["delta"]
