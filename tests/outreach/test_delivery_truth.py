"""Delivery truth: a party is notified, and a slice delivered, only when a message to it was
accepted; unreachable and failed deliveries are said at once and escalated; the outbox is
drained on a schedule; a relay that stops shows on every staff page and in the CLI, and
when it comes back the messages go out without anyone queueing anything new."""

from __future__ import annotations

import contextlib
import io
import json
import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from dnscc import cli
from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Contact
from dnscc.incidents import services, sla
from dnscc.incidents.models import Incident, Party, SlaBreach
from dnscc.outreach import health, tasks
from dnscc.outreach import services as outreach
from dnscc.outreach.models import ChannelHealth, Message
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from tests import delivery
from tests.conftest import World


def _incident(world: World, **fields: Any) -> Incident:
    user = world.users["coordinator"]
    return services.create_incident(
        viewer_for(user),
        audit.Actor.of(user),
        {
            "title": "Lame delegation at .alpha and .bravo",
            "dns_type": "broken-delegation",
            "impact": "high",
            "urgency": "high",
            "scope": {"tlds": [".alpha", ".bravo"]},
            **fields,
        },
        user=user,
    )


def _notify(world: World, incident: Incident) -> dict[str, Any]:
    user = world.users["coordinator"]
    return services.notify_parties(viewer_for(user), audit.Actor.of(user), incident)


def _status(incident: Incident, world: World) -> dict[str, str]:
    return {
        p.organization.slug: p.status
        for p in incident.parties.select_related("organization")
        if p.organization_id in (world.org_a.pk, world.org_b.pk)
    }


def test_a_party_is_queued_until_the_relay_accepts_then_notified_at_that_moment(
    world: World, outbox: SmtpSink
) -> None:
    incident = _incident(world)
    _notify(world, incident)
    assert _status(incident, world) == {"alpha-registry": "queued", "bravo-registry": "queued"}
    incident.refresh_from_db()
    assert incident.first_notified_at is None  # queued is not notified
    stats = drain()
    assert stats.accepted == 2
    party = incident.parties.get(organization=world.org_a)
    message = Message.objects.get(organization=world.org_a, kind="incident_notice")
    assert party.status == Party.NOTIFIED
    assert party.notified_at == message.accepted_at
    incident.refresh_from_db()
    assert incident.first_notified_at == min(
        Message.objects.filter(kind="incident_notice").values_list("accepted_at", flat=True)
    )
    # The page shows what happened to each party's messages, and where they went.
    page = world.client("coordinator").get(f"/incidents/{incident.ref}/").content.decode()
    assert "0 queued · 1 accepted · 0 bounced · 0 acknowledged" in page
    assert "security@alpha.example" in page


def test_a_party_without_any_contact_is_unreachable_at_once_and_goes_to_the_duty_desk(
    world: World,
) -> None:
    Contact.objects.filter(organization=world.org_b).delete()
    incident = _incident(world)
    result = _notify(world, incident)
    assert result["unreachable"] == ["bravo-registry"]
    assert _status(incident, world)["bravo-registry"] == Party.UNREACHABLE
    breach = SlaBreach.objects.get(party__organization=world.org_b, kind=SlaBreach.NOTIFY)
    assert breach.resolved_at is None
    # The next SLA check takes it straight to the duty desk: nobody can remind it.
    sla.check()
    breach.refresh_from_db()
    assert breach.level == 2
    entries = [e.summary for e in incident.timeline.filter(kind__in=("sla", "escalation"))]
    assert any("No reminder to Bravo Registry" in e for e in entries)
    assert any("escalated to the" in e and "duty desk" in e for e in entries)
    assert services.unreachable_parties(viewer_for(world.users["coordinator"])) == [
        incident.parties.get(organization=world.org_b)
    ]
    assert services.unreachable_parties(viewer_for(world.users["operator"])) == []
    # Once a contact exists and a notice is accepted, the breach is resolved.
    Contact.objects.create(organization=world.org_b, name="NOC", email="noc@bravo.example")
    _notify(world, incident)  # takes the unreachable party by default
    assert _status(incident, world)["bravo-registry"] == Party.QUEUED
    delivery.accept(organization=world.org_b)
    assert _status(incident, world)["bravo-registry"] == Party.NOTIFIED
    sla.check()
    breach.refresh_from_db()
    assert breach.resolved_at is not None


def test_every_message_refused_makes_the_party_delivery_failed_and_a_retry_queued_again(
    world: World,
) -> None:
    incident = _incident(world)
    _notify(world, incident)
    delivery.refuse(organization=world.org_a)
    assert _status(incident, world)["alpha-registry"] == Party.DELIVERY_FAILED
    assert SlaBreach.objects.filter(
        party__organization=world.org_a, kind=SlaBreach.NOTIFY, resolved_at__isnull=True
    ).exists()
    message = Message.objects.get(organization=world.org_a)
    user = world.users["coordinator"]
    outreach.retry(viewer_for(user), audit.Actor.of(user), message.key)
    assert _status(incident, world)["alpha-registry"] == Party.QUEUED
    delivery.accept(organization=world.org_a)
    assert _status(incident, world)["alpha-registry"] == Party.NOTIFIED


def test_a_bounce_after_acceptance_makes_the_party_delivery_failed_but_not_one_set_by_hand(
    world: World,
) -> None:
    incident = _incident(world)
    _notify(world, incident)
    delivery.accept()
    for org in (world.org_a, world.org_b):
        assert incident.parties.get(organization=org).status == Party.NOTIFIED
    # org_b's coordinator also called them: notified by hand stays notified.
    user = world.users["coordinator"]
    party_b = incident.parties.get(organization=world.org_b)
    services.set_party_status(
        viewer_for(user), audit.Actor.of(user), party_b, "notified", version=party_b.version
    )
    for org in (world.org_a, world.org_b):
        key = Message.objects.get(organization=org).key
        dsn = (
            f"From: MAILER-DAEMON@relay.example\r\nTo: bounces+{key}@center.test\r\n"
            "Subject: failure\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; relay.example\r\nOriginal-Envelope-Id: {key}\r\n\r\n"
            "Final-Recipient: rfc822; x@example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            "--b--\r\n"
        )
        outreach.process_inbound(dsn.encode())
    assert Message.objects.filter(state=Message.BOUNCED).count() == 2
    assert _status(incident, world) == {
        "alpha-registry": Party.DELIVERY_FAILED,
        "bravo-registry": Party.NOTIFIED,
    }


def test_the_data_migration_recomputes_parties_marked_notified_when_merely_queued(
    world: World,
) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("dnscc.incidents.migrations.0003_party_delivery_states")
    incident = _incident(world)
    _notify(world, incident)
    delivery.accept(organization=world.org_a)
    # What the code before delivery truth wrote: both notified at queueing time.
    now = timezone.now() - timedelta(hours=1)
    incident.parties.update(status=Party.NOTIFIED, status_changed_via="notice", notified_at=now)
    Incident.objects.filter(pk=incident.pk).update(first_notified_at=now)
    migration.delivery_truth(apps, None)
    accepted_at = Message.objects.get(organization=world.org_a).accepted_at
    party_a = incident.parties.get(organization=world.org_a)
    party_b = incident.parties.get(organization=world.org_b)
    assert (party_a.status, party_a.notified_at) == (Party.NOTIFIED, accepted_at)
    assert (party_b.status, party_b.notified_at) == (Party.QUEUED, None)
    incident.refresh_from_db()
    assert incident.first_notified_at == accepted_at


def _page(world: World, path: str = "/outreach/") -> str:
    return world.client("coordinator").get(path).content.decode()


def test_a_stopped_relay_keeps_parties_queued_shows_a_banner_and_delivers_when_it_returns(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_BACKOFF_SECONDS = 2
    settings.OUTREACH_DRAIN_CHECK_SECONDS = 1
    settings.OUTREACH_HEALTH_ALERT_SECONDS = 0
    incident = _incident(world)
    _notify(world, incident)
    queued = Message.objects.count()
    outbox.stop()  # the relay goes away

    # The scheduler sees messages due and drains: the relay refuses the connection.
    assert tasks.DRAIN_SCHEDULE in tasks.schedule()
    assert set(Message.objects.values_list("state", flat=True)) == {Message.QUEUED}
    assert _status(incident, world) == {"alpha-registry": "queued", "bravo-registry": "queued"}
    # Nothing is due until the backoff has passed: the scheduler enqueues no drain.
    first_due = min(Message.objects.values_list("next_attempt_at", flat=True))
    assert first_due > timezone.now()
    assert tasks.schedule() == []
    assert Message.objects.filter(attempts=1).count() == 2
    relay = ChannelHealth.objects.get(channel=health.SMTP)
    assert relay.failing_since is not None
    assert "Connect" in relay.last_error
    # Every staff page says so, with the number waiting; operators do not see it.
    page = _page(world, "/incidents/")
    assert 'id="outbox-banner"' in page
    assert "2 messages waiting" in page
    assert "outbox-banner" not in world.client("operator").get("/").content.decode()
    assert 'id="channel-health"' in _page(world)
    assert health.status()["ok"] is False

    # The relay comes back on the same address; the retry runs at its due time.
    outbox.start()
    last_due = max(Message.objects.values_list("next_attempt_at", flat=True))
    time.sleep(max(0.0, (last_due - timezone.now()).total_seconds()) + 1.1)
    assert tasks.DRAIN_SCHEDULE in tasks.schedule()
    assert set(Message.objects.values_list("state", flat=True)) == {Message.ACCEPTED}
    assert Message.objects.count() == queued  # nothing new was queued by anyone
    assert outbox.received.total == 2
    assert _status(incident, world) == {
        "alpha-registry": "notified",
        "bravo-registry": "notified",
    }
    assert ChannelHealth.objects.get(channel=health.SMTP).failing_since is None
    assert 'id="outbox-banner"' not in _page(world, "/incidents/")
    assert health.status()["ok"] is True


def test_outreach_status_exits_69_while_the_relay_fails_past_the_threshold(
    world: World,
) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["outreach", "status", *argv])
        return code, out.getvalue(), err.getvalue()

    code, out, _err = run()
    assert (code, out.splitlines()[0]) == (0, "outbox: 0 waiting (0 due now), 0 dead letter(s)")
    ChannelHealth.objects.create(
        channel=health.SMTP,
        failing_since=timezone.now() - timedelta(hours=1),
        failures=12,
        last_error="SMTP 127.0.0.1:2525: ConnectionRefusedError",
    )
    code, out, err = run()
    assert code == 69
    assert "FAILING" in out
    assert "ConnectionRefusedError" in out
    assert "SMTP relay" in err
    code, out, _err = run("--json")
    assert code == 69
    assert json.loads(out)["alerts"][0]["failures"] == 12


def test_a_slice_is_delivered_on_acceptance_and_an_unreachable_one_goes_to_the_desk_at_once(
    world: World,
) -> None:
    from dnscc.campaigns import escalation
    from dnscc.campaigns import services as campaigns
    from dnscc.campaigns.models import Slice
    from tests.campaigns.test_services import load, make_campaign, staff

    Contact.objects.filter(organization=world.org_b).delete()
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nx.bravo\n")
    viewer, actor = staff(world)
    result = campaigns.deliver(viewer, actor, campaign)
    assert result["unreachable"] == ["bravo-registry"]
    states = dict(Slice.objects.values_list("organization__slug", "state"))
    assert states == {"alpha-registry": Slice.QUEUED, "bravo-registry": Slice.UNREACHABLE}
    delivery.accept(kind="campaign_slice")
    alpha = Slice.objects.get(organization=world.org_a)
    assert alpha.state == Slice.DELIVERED
    assert alpha.accepted_at == Message.objects.get(kind="campaign_slice").accepted_at
    # Long before its deadline, the unreachable slice is the duty desk's.
    escalated = escalation.escalate()
    [step] = [s for s in escalated["steps"] if s["organization"] == "bravo-registry"]
    assert step["level"] == escalation.DESK
    assert "no message reaches Bravo Registry" in step["summary"]
    bravo = Slice.objects.get(organization=world.org_b)
    assert bravo.escalation_level == escalation.DESK
    assert campaigns.unreachable_slices(viewer) == [bravo]
    assert campaigns.unreachable_slices(viewer_for(world.users["operator"])) == []
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Unreachable (no usable contact)" in page
    assert "no message: no usable contact or channel" in page
    assert "0 queued · 1 accepted · 0 bounced · 0 acknowledged" in page
