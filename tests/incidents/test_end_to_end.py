"""The incident issue's acceptance test, end to end on real components.

A sweep of the lab (real Knot and Unbound) finds a fault and opens an alert, which files a
report; a coordinator opens it as an incident affecting 110 TLDs, each run by its own
registry; all 110 are notified through the outbox and the mail reaches a real SMTP server.
Thirty acknowledge in the portal, thirty through the API, ten by OpenPGP-signed mail; the
forty silent ones breach their SLA and climb the escalation ladder (reminder, duty desk,
coordinator lead, unresponsive); the handover note at the next shift change lists them; the
incident is closed, and its timeline replays every step.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any
from unittest import mock

import pysequoia
import pytest
from django.test import Client

from dnscc.accounts import audit
from dnscc.accounts.services import create_token, create_user, viewer_for
from dnscc.core.paths import default_root_zone
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.directory.rootzone_import import import_root_zone
from dnscc.incidents import desks, services, sla
from dnscc.incidents.models import Incident, Party, Report, SlaBreach
from dnscc.monitoring.models import Alert
from dnscc.monitoring.runner import run_sweep
from dnscc.outreach import services as outreach
from dnscc.outreach.models import Message
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from tests.conftest import PASSWORD, World
from tests.outreach.conftest import (  # noqa: F401  (fixtures)
    center_key_file,
    outbox,
    recipient_key,
    smtp_sink,
)
from tests.outreach.test_tracking import _signed_reply

pytestmark = [pytest.mark.lab, pytest.mark.django_db(transaction=True)]

REGIONS = ["AF", "AP", "EU", "LAC", "NA"]
ZONES = ["Africa/Nairobi", "Asia/Tokyo", "Europe/Paris", "America/Santiago", "America/Chicago"]


def _registries(lab: Any) -> list[Organization]:
    """110 TLDs (the first is swept in the lab), each run by a registry of its own with a
    mail contact, spread over the five regions."""
    # The test world's TLDs (alpha, bravo) are not in the real zone: their removal is intended.
    import_root_zone(default_root_zone(), allow_shrink=True)
    others = [
        t
        for t in Tld.objects.filter(delegated=True)
        .exclude(name__in=lab.tlds)
        .order_by("name")
        .values_list("name", flat=True)
        if t.isascii() and t.isalpha()
    ]
    names = [lab.tlds[0], *others[:109]]
    orgs = []
    for i, name in enumerate(names):
        org = Organization.objects.create(
            name=f"Registry of .{name}",
            slug=f"e2e-registry-{name}",
            kind=Organization.TLD_REGISTRY,
            region=REGIONS[i % 5],
            time_zone=ZONES[i % 5],
        )
        Tld.objects.filter(name=name).update(operator=org)
        Contact.objects.create(
            organization=org, name="Security", email=f"security@nic-{name}.example"
        )
        orgs.append(org)
    return orgs


def test_an_incident_over_110_tlds_from_alert_to_replay(
    lab: Any,
    world: World,
    outbox: SmtpSink,  # noqa: F811
    settings: Any,
) -> None:
    desks.ensure_desks()  # the default follow-the-sun rota
    orgs = _registries(lab)
    tlds = sorted(Tld.objects.filter(operator__in=orgs).values_list("name", flat=True))
    assert len(tlds) == 110
    portal, api, signed, silent = orgs[:30], orgs[30:60], orgs[60:70], orgs[70:]
    coordinator = world.users["coordinator"]
    viewer, actor = viewer_for(coordinator), audit.Actor.of(coordinator)

    # 1. Monitoring: a lame server in the lab opens an alert, and the alert files a report.
    # (A lame server is a WARNING at Zonemaster's levels: the desk alerts from warning up.)
    settings.ALERT_MIN_SEVERITY = "warning"
    swept = lab.tlds[0]
    with lab.fault("lame", tld=swept):
        sweep = run_sweep(
            trigger="test", zones=[swept], hints_path=lab.root_hints, anchor_path=lab.trust_anchor
        )
    assert sweep.status == "done"
    alert = Alert.objects.get(finding__zone=swept, finding__code="DELEGATION04")
    report = Report.objects.get(alert=alert)
    assert (report.source, report.state, report.dns_type) == (
        Report.ALERT,
        Report.NEW,
        "broken-delegation",
    )

    # 2. The coordinator opens it as an incident over the 110 TLDs; triage sets it open.
    from dnscc.incidents import intake

    incident = intake.open_report(
        viewer,
        actor,
        report,
        {"scope": {"tlds": tlds}, "impact": "high", "urgency": "high"},
        user=coordinator,
    )
    assert incident.severity == "critical"
    incident = services.update_incident(
        viewer, actor, incident, {"status": Incident.OPEN}, version=incident.version
    )
    parties = {p.organization_id: p for p in incident.parties.all()}
    assert set(parties) == {o.pk for o in orgs}

    # 3. All 110 operators are notified; the mail goes out to a real SMTP server.
    result = services.notify_parties(viewer, actor, incident, user=coordinator)
    assert result["parties"] == 110
    stats = drain()
    assert stats.accepted == 110, stats
    assert len({tuple(m["rcpt_tos"]) for m in outbox.received.messages}) == 110
    assert Party.objects.filter(incident=incident, status=Party.NOTIFIED).count() == 110

    # 4a. Thirty acknowledge in the portal, each signed in as its own operator.
    for org in portal:
        user = create_user(f"op-{org.slug}", role="operator", organization=org, password=PASSWORD)
        client = Client()
        client.force_login(user)
        party = Party.objects.get(incident=incident, organization=org)
        response = client.post(
            f"/incidents/{incident.ref}/parties/{party.pk}/status",
            {"status": Party.ACKNOWLEDGED, "version": party.version},
        )
        assert response.status_code == 302, response.content[:300]
    # 4b. Thirty through the API with their own tokens.
    for org in api:
        user = create_user(f"api-{org.slug}", role="operator", organization=org, password=PASSWORD)
        _token, secret = create_token(user, "e2e")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        party = Party.objects.get(incident=incident, organization=org)
        response = client.patch(
            f"/api/v1/incidents/{incident.ref}/parties/{party.pk}",
            data=json.dumps({"status": Party.ACKNOWLEDGED, "version": party.version}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]
    # 4c. Ten reply with mail signed by the key the directory holds for them.
    for org in signed:
        tsk = pysequoia.Tsk.generate(f"Security <security@nic-{org.slug}.example>")
        Contact.objects.filter(organization=org).update(pgp_key=str(tsk.extract_certificate()))
        message = Message.objects.get(organization=org, notice__source_id=str(incident.pk))
        handled = outreach.process_inbound(_signed_reply(tsk, message.key))
        assert handled["acknowledged"] is True, handled

    acked = Party.objects.filter(incident=incident, status=Party.ACKNOWLEDGED)
    assert acked.count() == 70
    via = Counter(acked.values_list("status_changed_via", flat=True))
    assert via == {"portal": 30, "api": 30, "mail": 10}, via

    # 5. The silent forty breach their acknowledgement deadline and are escalated.
    due = [
        sla.party_deadline(p)
        for p in Party.objects.filter(incident=incident, organization__in=silent)
    ]
    deadline = max(d for d in due if d is not None)
    ladder = sla.profile().ladder
    before = Message.objects.count()
    first = sla.check(now=deadline + timedelta(minutes=1))
    breaches = SlaBreach.objects.filter(incident=incident, kind=SlaBreach.ACKNOWLEDGE)
    assert set(breaches.values_list("party__organization_id", flat=True)) == {o.pk for o in silent}
    reminders = Message.objects.filter(pk__gt=0).count() - before
    assert reminders == 40, first  # one reminder per silent registry (one contact each)
    assert sla.check(now=deadline + timedelta(minutes=2))["breaches"] == 0  # no duplicates
    at_desk = deadline + timedelta(minutes=1) + ladder["desk"]
    sla.check(now=at_desk + timedelta(minutes=1))
    assert set(breaches.values_list("level", flat=True)) == {2}

    # 6. The next shift change hands the breaches over; the incoming desk acknowledges.
    _incoming, change = desks.next_change(at_desk + timedelta(minutes=1))
    assert change is not None
    handover = desks.shift_change(now=change)
    assert handover is not None
    listed = {
        b["organization"]
        for b in handover.note["breaches"]
        if b["incident"] == incident.ref and b["kind"] == SlaBreach.ACKNOWLEDGE
    }
    assert listed == {o.slug for o in silent}
    assert {i["ref"] for i in handover.note["incidents"]} >= {incident.ref}
    desk_coordinator = create_user(
        "desk-incoming", role="coordinator", desks=[handover.to_desk], password=PASSWORD
    )
    desks.acknowledge_handover(
        viewer_for(desk_coordinator), audit.Actor.of(desk_coordinator), handover, now=change
    )

    # ... then the coordinator lead, and at the end of the ladder they are unresponsive.
    sla.check(now=deadline + timedelta(minutes=1) + ladder["lead"])
    assert set(breaches.values_list("level", flat=True)) == {3}
    sla.check(now=deadline + timedelta(minutes=1) + ladder["unresponsive"])
    unresponsive = Party.objects.filter(incident=incident, status=Party.UNRESPONSIVE)
    assert set(unresponsive.values_list("organization_id", flat=True)) == {o.pk for o in silent}

    # 7. SLA figures per party and per incident.
    later = deadline + ladder["unresponsive"] + timedelta(minutes=30)
    figures = sla.figures(Incident.objects.get(pk=incident.pk), now=later)
    assert figures["triage"]["state"] == "met"
    assert figures["first_notification"]["state"] == "met"
    by_org = {f["organization"]: f for f in figures["parties"]}
    assert {by_org[o.slug]["acknowledge"]["state"] for o in orgs[:70]} == {"met"}
    assert {by_org[o.slug]["acknowledge"]["state"] for o in silent} == {"breached"}
    assert figures["medians"]["acknowledge"]["count"] == 70
    assert figures["medians"]["notify"]["count"] == 110

    # 8. Close it; the timeline replays every step, in order.
    incident.refresh_from_db()
    closing = deadline + ladder["unresponsive"] + timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=closing):
        services.update_incident(
            viewer,
            actor,
            incident,
            {"status": Incident.CLOSED, "resolution": "Delegations fixed; the silent logged."},
            version=incident.version,
        )
    replay = services.replay(viewer, Incident.objects.get(pk=incident.pk))
    kinds = [entry["kind"] for entry in replay]
    assert kinds[0] in ("created", "report")
    closed = [e for e in replay if e["kind"] == "state" and e["data"].get("to") == "closed"]
    assert len(closed) == 1
    assert closed[0]["at"] == replay[-1]["at"]  # the last thing that happened
    assert [e["at"] for e in replay] == sorted(e["at"] for e in replay)
    count = Counter(kinds)
    assert count["report"] >= 1  # the alert's report, opened as this incident
    assert count["message"] >= 1  # the notice to the 110
    acks = [e for e in replay if e["kind"] in ("ack", "party") and "acknowledged" in e["summary"]]
    assert {e["party"] for e in acks} == {o.slug for o in orgs[:70]}
    escalated = {e["party"] for e in replay if e["kind"] == "escalation" and e["party"]}
    assert escalated == {o.slug for o in silent}
    assert count["sla"] >= 40
    assert count["handover"] >= 1
    gone_silent = [e for e in replay if e["kind"] == "party" and "unresponsive" in e["summary"]]
    assert {e["party"] for e in gone_silent} == {o.slug for o in silent}
