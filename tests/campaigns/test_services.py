"""Campaign services: creation, loading names, splitting per registry, delivery,
acknowledgements and outcomes. Real database, real outbox rows, real signatures."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import zipfile
from typing import Any

import pysequoia
import pytest
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.campaigns import services
from dnscc.campaigns.models import Campaign, NameList, Slice, SliceManifest, Target
from dnscc.core.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
    ValidationErrors,
)
from dnscc.directory.models import Contact, Tld
from dnscc.incidents.models import Incident, TimelineEntry
from dnscc.outreach import pgp
from dnscc.outreach import services as outreach
from dnscc.outreach.models import Message
from tests import delivery
from tests.conftest import World

LEGAL = {"action": "block", "legal_basis": "court_order", "legal_reference": "Case 42/2026"}


def make_incident(ref: str = "DNSCC-2026-0001") -> Incident:
    return Incident.objects.create(ref=ref, title="Botnet takedown", created_at=timezone.now())


def make_campaign(world: World, **kw: Any) -> Campaign:
    make_incident()
    coordinator = world.users["coordinator"]
    return services.create_campaign(
        viewer_for(coordinator),
        audit.Actor.of(coordinator),
        incident_ref="DNSCC-2026-0001",
        title=kw.pop("title", "Avalanche takedown"),
        due_date=kw.pop("due_date", dt.date(2026, 12, 1)),
        user=coordinator,
        **kw,
    )


def load(
    world: World,
    campaign: Campaign,
    data: bytes,
    name: str = "names.txt",
    encoding: str | None = None,
) -> NameList:
    coordinator = world.users["coordinator"]
    return services.load_names(
        viewer_for(coordinator),
        audit.Actor.of(coordinator),
        campaign,
        io.BytesIO(data),
        filename=name,
        encoding=encoding,
        **LEGAL,
    )


def staff(world: World) -> tuple[Any, audit.Actor]:
    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user)


MESSY = (
    "# Avalanche list, merged by hand\n"  # 1 comment
    "good1.alpha\n"  # 2
    "not a name!\n"  # 3 invalid
    "Good1.ALPHA.\n"  # 4 duplicate of line 2
    "bücher.alpha\n"  # 5 IDN, UTF-8
).encode() + (
    "münchen.bravo\n".encode("cp1252")  # 6 IDN, Windows-1252
    + b"\n"  # 7 blank
    + b"xn--bcher-kva.alpha\n"  # 8 duplicate of line 5 as an A-label
    + b"bad..alpha\n"  # 9 invalid: an empty label
    + b"alpha\n"  # 10 a TLD alone: invalid
    + b"tail.bravo"  # 11 no final newline
)


def test_an_upload_with_junk_encodings_idns_and_duplicates_reports_exact_lines_and_counts(
    world: World,
) -> None:
    campaign = make_campaign(world)
    name_list = load(world, campaign, MESSY, encoding="cp1252")
    assert (name_list.lines, name_list.added, name_list.duplicates, name_list.invalid) == (
        11,
        4,
        2,
        3,
    )
    invalid = name_list.report["invalid"]
    assert [item["line"] for item in invalid] == [3, 9, 10]
    assert all(item["file"] == "names.txt" for item in invalid)
    assert name_list.report["non_utf8_lines"] == 1
    assert name_list.report["non_utf8_examples"] == [{"file": "names.txt", "line": 6}]
    names = set(Target.objects.filter(campaign=campaign).values_list("name", flat=True))
    assert names == {"good1.alpha", "xn--bcher-kva.alpha", "xn--mnchen-3ya.bravo", "tail.bravo"}
    assert len(name_list.sha256) == 64
    assert name_list.sha256 == hashlib.sha256(MESSY).hexdigest()


def test_a_line_that_is_not_utf8_is_refused_unless_the_encoding_is_named(world: World) -> None:
    campaign = make_campaign(world)
    name_list = load(world, campaign, MESSY)
    invalid = {item["line"]: item["reason"] for item in name_list.report["invalid"]}
    assert sorted(invalid) == [3, 6, 9, 10]
    assert "not UTF-8 text" in invalid[6]
    names = set(Target.objects.filter(campaign=campaign).values_list("name", flat=True))
    assert "xn--mnchen-3ya.bravo" not in names


def test_names_are_split_per_registry_with_the_deadline_in_the_orgs_time_zone(
    world: World,
) -> None:
    world.org_b.time_zone = "Europe/Paris"
    world.org_b.save()
    campaign = make_campaign(world)
    load(world, campaign, MESSY, encoding="cp1252")
    a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    b = Slice.objects.get(campaign=campaign, organization=world.org_b)
    assert (a.names, a.tlds, b.names, b.tlds) == (2, ["alpha"], 2, ["bravo"])
    # 23:59 in Paris on 1 December (UTC+1) is 22:59 UTC; org_a has no zone: UTC.
    assert b.deadline == dt.datetime(2026, 12, 1, 22, 59, tzinfo=dt.UTC)
    assert a.deadline == dt.datetime(2026, 12, 1, 23, 59, tzinfo=dt.UTC)
    campaign.refresh_from_db()
    assert (campaign.names_total, campaign.names_unassigned) == (4, 0)


def test_names_under_an_unknown_tld_are_reported_and_get_no_slice(world: World) -> None:
    Tld.objects.create(name="orphan", kind=Tld.GTLD, operator=None)
    campaign = make_campaign(world)
    data = b"a.alpha\nb.nosuchtld\nc.nosuchtld\nd.orphan\n"
    name_list = load(world, campaign, data)
    assert name_list.unassigned == 3
    assert name_list.report["unknown_tlds"] == [{"tld": "nosuchtld", "names": 2}]
    assert name_list.report["tlds_without_operator"] == [{"tld": "orphan", "names": 1}]
    assert Target.objects.get(name="b.nosuchtld").slice is None
    assert Target.objects.get(name="d.orphan").slice is None
    assert list(Slice.objects.filter(campaign=campaign).values_list("organization__slug")) == [
        ("alpha-registry",)
    ]
    campaign.refresh_from_db()
    assert (campaign.names_total, campaign.names_unassigned) == (4, 3)


def test_a_second_list_is_deduplicated_against_the_campaign(world: World) -> None:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nb.alpha\n")
    second = load(world, campaign, b"b.alpha\nc.alpha\nc.alpha\n", name="more.txt")
    assert (second.added, second.duplicates) == (1, 2)
    assert second.report["duplicates_in_campaign"] == 1
    assert Slice.objects.get(campaign=campaign).names == 3


def test_gzip_and_zip_uploads_are_read(world: World) -> None:
    campaign = make_campaign(world)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("one.txt", "z1.alpha\n")
        archive.writestr("two.txt.gz", gzip.compress(b"z2.bravo\n"))
    name_list = load(world, campaign, packed.getvalue(), name="lists.zip")
    assert name_list.added == 2
    gz = load(world, campaign, gzip.compress(b"z3.alpha\n"), name="x.gz")
    assert gz.added == 1


def test_an_upload_above_the_limit_is_refused_naming_the_limit(world: World, settings: Any) -> None:
    settings.CAMPAIGN_UPLOAD_MAX_BYTES = 2048
    campaign = make_campaign(world)
    data = b"".join(b"n%05d.alpha\n" % i for i in range(500))
    with pytest.raises(InputError) as caught:
        load(world, campaign, data)
    assert "2,048 bytes" in str(caught.value)
    assert not Target.objects.exists()
    assert not NameList.objects.exists()
    # A bomb: small compressed, large decompressed, is counted after decompression.
    with pytest.raises(InputError, match="2,048 bytes"):
        load(world, campaign, gzip.compress(b"a.alpha\n" * 10_000), name="bomb.gz")


@pytest.mark.parametrize(
    ("field", "value"), [("action", "destroy"), ("legal_basis", "hunch"), ("legal_reference", " ")]
)
def test_a_list_needs_a_known_action_and_a_legal_basis(
    world: World, field: str, value: str
) -> None:
    campaign = make_campaign(world)
    viewer, actor = staff(world)
    with pytest.raises(InputError) as caught:
        services.load_names(
            viewer,
            actor,
            campaign,
            io.BytesIO(b"a.alpha\n"),
            filename="x",
            **{**LEGAL, field: value},
        )
    assert caught.value.location.field == field


def test_only_staff_create_campaigns_and_load_names(world: World) -> None:
    make_incident()
    op = world.users["operator"]
    with pytest.raises(PermissionDenied):
        services.create_campaign(
            viewer_for(op),
            audit.Actor.of(op),
            incident_ref="DNSCC-2026-0001",
            title="x",
            due_date=dt.date(2026, 1, 1),
        )


def test_creating_a_campaign_for_an_unknown_incident_is_not_found(world: World) -> None:
    viewer, actor = staff(world)
    with pytest.raises(NotFoundError):
        services.create_campaign(
            viewer, actor, incident_ref="DNSCC-1999-0001", title="x", due_date=dt.date(2026, 1, 1)
        )


def test_the_campaign_is_written_on_the_incidents_timeline(world: World) -> None:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\n")
    kinds = list(
        TimelineEntry.objects.filter(incident=campaign.incident).values_list("kind", flat=True)
    )
    assert kinds == ["campaign", "campaign"]


def test_generated_names_are_loaded_like_an_upload(world: World) -> None:
    Tld.objects.create(name="ws", kind=Tld.CCTLD, operator=world.org_a)
    campaign = make_campaign(world)
    viewer, actor = staff(world)
    name_list = services.generate_names(
        viewer,
        actor,
        campaign,
        generator="conficker-b",
        start=dt.date(2020, 1, 1),
        end=dt.date(2020, 1, 1),
        **LEGAL,
    )
    assert name_list.kind == NameList.GENERATOR
    assert Target.objects.filter(campaign=campaign, name="jqfgtmjl.ws").exists()
    assert name_list.added > 0


def _delivered(world: World) -> tuple[Campaign, dict[str, Any]]:
    Contact.objects.create(
        organization=world.org_a, name="Alpha NOC", email="noc@alpha.example", language="fr"
    )
    campaign = make_campaign(world)
    load(world, campaign, b"b.alpha\na.alpha\nx.bravo\n")
    viewer, actor = staff(world)
    return campaign, services.deliver(viewer, actor, campaign, user=world.users["coordinator"])


def test_deliver_queues_one_message_per_slice_contact_with_verifiable_manifests(
    world: World,
) -> None:
    campaign, result = _delivered(world)
    assert result["slices"] == 2
    messages = Message.objects.filter(kind="campaign_slice").order_by("address")
    assert [m.address for m in messages] == [
        "noc@alpha.example",
        "security@alpha.example",
        "security@bravo.example",
    ]
    assert result["messages"] == 3
    campaign.refresh_from_db()
    assert campaign.status == Campaign.ACTIVE
    viewer, actor = staff(world)
    # Sent is not delivered: a slice is delivered once its mail server accepts a message.
    assert set(Slice.objects.filter(campaign=campaign).values_list("state", flat=True)) == {
        Slice.QUEUED
    }
    delivery.accept(kind="campaign_slice")
    for slice_ in Slice.objects.filter(campaign=campaign):
        assert slice_.state == Slice.DELIVERED
        assert slice_.accepted_at is not None
        csv_bytes, ctype = services.manifest(viewer, actor, slice_, "csv")
        json_bytes, _ = services.manifest(viewer, actor, slice_, "json")
        assert ctype.startswith("text/csv")
        assert hashlib.sha256(csv_bytes).hexdigest() == slice_.manifest_sha256["csv"]
        assert hashlib.sha256(json_bytes).hexdigest() == slice_.manifest_sha256["json"]
        for message in messages.filter(organization=slice_.organization):
            assert slice_.manifest_sha256["csv"] in message.body
            assert slice_.manifest_sha256["json"] in message.body
            assert f"/campaigns/{campaign.slug}/slices/{slice_.pk}/manifest.csv" in message.body
            assert message.notice.source_type == "campaign_slice"
        cert = pysequoia.Cert.from_bytes(pgp.center_public_key().encode())
        for fmt, content in (("csv.asc", csv_bytes), ("json.asc", json_bytes)):
            signature, ctype = services.manifest(viewer, actor, slice_, fmt)
            assert ctype == "application/pgp-signature"
            assert pgp.verify_detached(content, signature, cert)
            assert not pgp.verify_detached(content + b"x", signature, cert)
        sums, _ = services.manifest(viewer, actor, slice_, "sha256")
        assert slice_.manifest_sha256["csv"] in sums.decode()
    french = messages.get(address="noc@alpha.example")
    assert french.language == "fr"
    assert "Échéance" in french.body
    rows = list(
        csv.reader(
            io.StringIO(
                services.manifest(
                    viewer, actor, Slice.objects.get(organization=world.org_a), "csv"
                )[0].decode()
            )
        )
    )
    assert rows[0] == ["name", "tld", "action", "legal_basis", "expires"]
    assert rows[1:] == [
        ["a.alpha", "alpha", "block", "court_order: Case 42/2026", "2027-12-01"],
        ["b.alpha", "alpha", "block", "court_order: Case 42/2026", "2027-12-01"],
    ]


def test_the_json_manifest_names_the_deadline_in_utc_and_local_time(world: World) -> None:
    world.org_a.time_zone = "Africa/Nairobi"
    world.org_a.save()
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_a)
    document = json.loads(services.manifest(viewer, actor, slice_, "json")[0])
    assert document["campaign"]["deadline_utc"] == "2026-12-01T20:59:00Z"
    assert document["campaign"]["deadline_local"] == "2026-12-01T23:59:00+03:00"
    assert document["campaign"]["legal_basis"] == "court_order: Case 42/2026"


def test_delivering_twice_is_a_conflict(world: World) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    with pytest.raises(ConflictError):
        services.deliver(viewer, actor, campaign)


def test_acknowledging_by_link_acknowledges_the_slice(world: World) -> None:
    campaign, _ = _delivered(world)
    message = Message.objects.get(kind="campaign_slice", address="security@alpha.example")
    outreach.acknowledge_by_link(message.key, outreach.ack_signature(message.key))
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_a)
    assert slice_.state == Slice.ACKNOWLEDGED
    assert (slice_.acknowledged_via, slice_.acknowledged_by) == ("link", "security@alpha.example")
    other = Slice.objects.get(campaign=campaign, organization=world.org_b)
    assert other.acknowledged_at is None


def test_the_operator_acknowledges_its_own_slice_and_not_another(world: World) -> None:
    campaign, _ = _delivered(world)
    op = world.users["operator"]
    viewer = viewer_for(op)
    own = services.get_slice(
        viewer, campaign, Slice.objects.get(campaign=campaign, organization=world.org_a).pk
    )
    services.acknowledge_slice(viewer, audit.Actor.of(op), own, via="portal")
    assert own.state == Slice.ACKNOWLEDGED
    assert own.acknowledged_by == "op_a"
    theirs = Slice.objects.get(campaign=campaign, organization=world.org_b)
    with pytest.raises(NotFoundError):
        services.get_slice(viewer, campaign, theirs.pk)
    with pytest.raises(NotFoundError):
        services.acknowledge_slice(viewer, audit.Actor.of(op), theirs, via="portal")


def test_an_operator_sees_a_campaign_only_once_its_slice_is_delivered(world: World) -> None:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nx.bravo\n")
    op = viewer_for(world.users["operator"])
    assert not services.visible_campaigns(op).exists()
    viewer, actor = staff(world)
    services.deliver(viewer, actor, campaign)
    assert list(services.visible_campaigns(op)) == [campaign]
    partner = viewer_for(world.users["partner"])
    assert not services.visible_campaigns(partner).exists()


def _outcomes(world: World, campaign: Campaign, data: bytes) -> dict[str, Any]:
    op = world.users["operator"]
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_a)
    return services.record_outcomes(
        viewer_for(op), audit.Actor.of(op), slice_, io.BytesIO(data), filename="out.csv"
    )


def test_an_operators_outcomes_are_recorded_and_counted(world: World) -> None:
    campaign, _ = _delivered(world)
    result = _outcomes(
        world, campaign, b"name,outcome,note\na.alpha,done,held\nB.ALPHA,Not registered,\n"
    )
    assert result["applied"] == 2
    assert result["reported"] == 2
    target = Target.objects.get(name="a.alpha")
    assert (target.outcome, target.outcome_note) == ("done", "held")
    assert Target.objects.get(name="b.alpha").outcome == "not_registered"
    assert Slice.objects.get(campaign=campaign, organization=world.org_a).reported == 2


def test_an_outcome_file_naming_a_name_outside_the_slice_is_rejected_with_its_line(
    world: World,
) -> None:
    campaign, _ = _delivered(world)
    with pytest.raises(ValidationErrors) as caught:
        _outcomes(world, campaign, b"a.alpha,done\nx.bravo,done\nb.alpha,maybe\n")
    errors = caught.value.errors
    assert [(e.location.line, e.location.field) for e in errors] == [(2, "name"), (3, "outcome")]
    assert "not in your slice" in errors[0].problem
    # Nothing is half-applied.
    assert not Target.objects.exclude(outcome="").exists()


def test_ending_a_campaign_sends_a_release_notice_for_blocks(world: World) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    services.end_campaign(viewer, actor, campaign)
    assert campaign.status == Campaign.ENDED
    notices = Message.objects.filter(kind="notice", notice__source_type="campaign_release")
    assert notices.count() == 3
    with pytest.raises(ConflictError):
        services.load_names(
            viewer, actor, campaign, io.BytesIO(b"late.alpha\n"), filename="x", **LEGAL
        )


def _reminder_for(slice_: Slice) -> Message:
    from dnscc.campaigns.escalation import REMINDER, _climb

    late = timezone.now() + dt.timedelta(days=1)
    step = _climb(
        Slice.objects.select_related("campaign__incident", "organization").get(pk=slice_.pk),
        REMINDER,
        late,
    )
    assert step is not None
    return Message.objects.filter(kind="campaign_reminder", organization=slice_.organization)[0]


def test_acknowledging_a_reminder_acknowledges_the_slice(world: World) -> None:
    campaign, _ = _delivered(world)
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_b)
    message = _reminder_for(slice_)
    outreach.acknowledge_by_link(message.key, outreach.ack_signature(message.key))
    slice_.refresh_from_db()
    assert slice_.state == Slice.ACKNOWLEDGED
    assert slice_.acknowledged_via == "link"


def test_a_reminder_of_an_earlier_delivery_does_not_acknowledge_the_slice(world: World) -> None:
    campaign, _ = _delivered(world)
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_b)
    message = _reminder_for(slice_)
    Slice.objects.filter(pk=slice_.pk).update(delivered_at=timezone.now() + dt.timedelta(hours=1))
    outreach.acknowledge_by_link(message.key, outreach.ack_signature(message.key))
    assert Slice.objects.get(pk=slice_.pk).acknowledged_at is None


def test_a_slice_whose_new_names_wait_for_delivery_cannot_be_acknowledged(world: World) -> None:
    campaign, _ = _delivered(world)
    load(world, campaign, b"c.alpha\n", name="more.txt")
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_a)
    assert slice_.state == Slice.PENDING
    op = world.users["operator"]
    with pytest.raises(ConflictError, match="new names wait for delivery"):
        services.acknowledge_slice(viewer_for(op), audit.Actor.of(op), slice_, via="portal")
    # Nor by the link of the first delivery's message.
    message = Message.objects.get(kind="campaign_slice", address="security@alpha.example")
    outreach.acknowledge_by_link(message.key, outreach.ack_signature(message.key))
    slice_.refresh_from_db()
    assert (slice_.state, slice_.acknowledged_at) == (Slice.PENDING, None)
    viewer, actor = staff(world)
    result = services.deliver(viewer, actor, campaign)
    assert result["slices"] == 1


def test_acknowledging_a_complete_slice_keeps_it_complete(world: World) -> None:
    campaign, _ = _delivered(world)
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_a)
    Slice.objects.filter(pk=slice_.pk).update(state=Slice.COMPLETE)
    slice_.refresh_from_db()
    op = world.users["operator"]
    services.acknowledge_slice(viewer_for(op), audit.Actor.of(op), slice_, via="portal")
    assert slice_.state == Slice.COMPLETE
    assert slice_.acknowledged_at is not None


def test_a_manifest_names_only_its_own_slices_legal_basis_and_stays_as_delivered(
    world: World,
) -> None:
    campaign = make_campaign(world)
    viewer, actor = staff(world)
    services.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(b"x.bravo\n"),
        filename="bravo.txt",
        action="block",
        legal_basis="court_order",
        legal_reference="Bravo court secret 7",
        expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    load(world, campaign, b"a.alpha\n")
    services.deliver(viewer, actor, campaign)
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    document = json.loads(services.manifest(viewer, actor, slice_a, "json")[0])
    assert document["campaign"]["legal_basis"] == "court_order: Case 42/2026"
    assert document["campaign"]["expires"] == "2027-12-01"
    # A later list elsewhere and a renamed organisation leave the delivered bytes alone.
    services.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(b"y.bravo\n"),
        filename="late.txt",
        action="block",
        legal_basis="court_order",
        legal_reference="Later order",
        expires_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
    )
    world.org_a.name = "Alpha Registry Renamed"
    world.org_a.save()
    slice_a = Slice.objects.get(pk=slice_a.pk)
    for fmt in ("csv", "json"):
        content, _ = services.manifest(viewer, actor, slice_a, fmt)
        assert hashlib.sha256(content).hexdigest() == slice_a.manifest_sha256[fmt]
    assert b"Bravo court secret" not in services.manifest(viewer, actor, slice_a, "json")[0]


def test_a_download_serves_the_delivered_bytes_kept_at_delivery(world: World) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    kept = SliceManifest.objects.get(slice=slice_a)
    assert kept.rows == 2
    assert (kept.csv_sha256, kept.json_sha256) == (
        slice_a.manifest_sha256["csv"],
        slice_a.manifest_sha256["json"],
    )
    # A target changed behind the services' back: a rebuild would differ, the download not.
    Target.objects.filter(slice=slice_a, name="a.alpha").update(name="changed.alpha")
    content, _ = services.manifest(viewer, actor, slice_a, "csv")
    assert hashlib.sha256(content).hexdigest() == slice_a.manifest_sha256["csv"]
    assert b"a.alpha" in content
    assert b"changed.alpha" not in content
    # The signature is made on the first request and kept: the same text every time.
    first, _ = services.manifest(viewer, actor, slice_a, "csv.asc")
    again, _ = services.manifest(viewer, actor, slice_a, "csv.asc")
    assert first == again
    assert SliceManifest.objects.get(slice=slice_a).csv_asc == first.decode()
    cert = pysequoia.Cert.from_bytes(pgp.center_public_key().encode())
    assert pgp.verify_detached(content, first, cert)


def test_a_slice_delivered_before_bytes_were_kept_is_rebuilt_as_delivered(world: World) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    SliceManifest.objects.filter(slice=slice_a).delete()
    for fmt in ("csv", "json"):
        content, _ = services.manifest(viewer, actor, slice_a, fmt)
        assert hashlib.sha256(content).hexdigest() == slice_a.manifest_sha256[fmt]


def test_a_second_delivery_replaces_the_kept_bytes(world: World) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    services.manifest(viewer, actor, slice_a, "json.asc")  # a kept signature, to be dropped
    load(world, campaign, b"c.alpha\n")
    services.deliver(viewer, actor, campaign)
    slice_a.refresh_from_db()
    kept = SliceManifest.objects.get(slice=slice_a)
    assert kept.rows == 3
    assert kept.json_asc == ""
    assert kept.csv_sha256 == slice_a.manifest_sha256["csv"]
    content, _ = services.manifest(viewer, actor, slice_a, "csv")
    assert b"c.alpha" in content


def test_a_sinkhole_list_needs_the_campaigns_sinkhole_set(world: World) -> None:
    campaign = make_campaign(world)
    viewer, actor = staff(world)
    with pytest.raises(InputError, match="sinkhole") as caught:
        services.load_names(
            viewer,
            actor,
            campaign,
            io.BytesIO(b"a.alpha\n"),
            filename="x.txt",
            **{**LEGAL, "action": "sinkhole"},
        )
    assert caught.value.location.field == "sinkhole_ns"
    with pytest.raises(InputError, match="sinkhole"):
        services.generate_names(
            viewer,
            actor,
            campaign,
            generator="conficker-a",
            start=dt.date(2009, 1, 1),
            end=dt.date(2009, 1, 1),
            **{**LEGAL, "action": "sinkhole"},
        )
    assert not Target.objects.filter(campaign=campaign).exists()


def test_a_redelivery_restarts_the_escalation_and_the_deadline(world: World) -> None:
    world.org_a.time_zone = "Africa/Nairobi"
    world.org_a.save()
    campaign, _ = _delivered(world)
    Slice.objects.filter(campaign=campaign, organization=world.org_a).update(
        escalation_level=2,
        escalated_at=timezone.now(),
        deadline=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    load(world, campaign, b"c.alpha\n", name="more.txt")
    viewer, actor = staff(world)
    services.deliver(viewer, actor, campaign)
    slice_ = Slice.objects.get(campaign=campaign, organization=world.org_a)
    assert (slice_.state, slice_.escalation_level, slice_.escalated_at) == (
        Slice.QUEUED,
        0,
        None,
    )
    assert slice_.deadline == dt.datetime(2026, 12, 1, 20, 59, tzinfo=dt.UTC)


def test_a_slice_claimed_by_another_delivery_is_not_notified_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nx.bravo\n")
    real = services._slice_manifest

    def raced(slice_: Slice) -> Any:
        # Another coordinator's delivery claims the alpha slice meanwhile.
        if slice_.organization_id == world.org_a.pk:
            Slice.objects.filter(pk=slice_.pk).update(state=Slice.DELIVERED)
        return real(slice_)

    monkeypatch.setattr(services, "_slice_manifest", raced)
    viewer, actor = staff(world)
    result = services.deliver(viewer, actor, campaign)
    assert result["slices"] == 1
    assert not Message.objects.filter(kind="campaign_slice", organization=world.org_a).exists()
    assert Message.objects.filter(kind="campaign_slice", organization=world.org_b).count() == 1


def test_ending_a_campaign_twice_at_once_sends_the_release_notices_once(world: World) -> None:
    campaign, _ = _delivered(world)
    stale = Campaign.objects.get(pk=campaign.pk)
    viewer, actor = staff(world)
    services.end_campaign(viewer, actor, campaign)
    with pytest.raises(ConflictError):
        services.end_campaign(viewer, actor, stale)
    assert Message.objects.filter(notice__source_type="campaign_release").count() == 3


def test_outcomes_reported_done_where_dns_shows_not_done_are_mismatches_at_once(
    world: World,
) -> None:
    from dnscc.campaigns.models import Snapshot

    campaign, _ = _delivered(world)
    Target.objects.filter(name="a.alpha").update(observed="delegated", verified_ok=False)
    Target.objects.filter(name="b.alpha").update(observed="not_delegated", verified_ok=True)
    _outcomes(world, campaign, b"a.alpha,done\nb.alpha,done\n")
    assert list(Target.objects.filter(mismatch=True).values_list("name", flat=True)) == ["a.alpha"]
    assert Slice.objects.get(campaign=campaign, organization=world.org_a).mismatches == 1
    assert Snapshot.objects.filter(campaign=campaign).count() == 1
    _outcomes(world, campaign, b"a.alpha,refused\n")
    assert not Target.objects.filter(mismatch=True).exists()
    assert Slice.objects.get(campaign=campaign, organization=world.org_a).mismatches == 0


def test_a_release_list_releases_names_already_in_the_campaign(world: World) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    released = services.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(b"a.alpha\nnew.alpha\n"),
        filename="release.txt",
        **{**LEGAL, "action": "release"},
    )
    assert (released.added, released.duplicates, released.report["released"]) == (1, 0, 1)
    assert dict(Target.objects.filter(campaign=campaign).values_list("name", "action")) == {
        "a.alpha": "release",
        "b.alpha": "block",
        "new.alpha": "release",
        "x.bravo": "block",
    }
    assert Slice.objects.get(campaign=campaign, organization=world.org_a).state == Slice.PENDING


def test_a_release_of_names_only_already_in_the_campaign_sends_the_slice_again(
    world: World,
) -> None:
    campaign, _ = _delivered(world)
    viewer, actor = staff(world)
    services.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(b"x.bravo\n"),
        filename="release.txt",
        **{**LEGAL, "action": "release"},
    )
    slice_b = Slice.objects.get(campaign=campaign, organization=world.org_b)
    assert slice_b.state == Slice.PENDING
    services.deliver(viewer, actor, campaign)
    rows = services.manifest(viewer, actor, Slice.objects.get(pk=slice_b.pk), "csv")[0]
    assert b"x.bravo,bravo,release," in rows


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("title", {"title": "Avalanche\ttakedown"}),
        ("title", {"title": "Avalanche\x00"}),
    ],
)
def test_control_characters_in_a_campaign_title_are_refused(
    world: World, field: str, kw: dict[str, Any]
) -> None:
    with pytest.raises(InputError) as caught:
        make_campaign(world, **kw)
    assert caught.value.location.field == field


@pytest.mark.parametrize("reference", ["Case 42\n2026", "Case\t42", "Case\x0042"])
def test_control_characters_in_a_legal_reference_are_refused(world: World, reference: str) -> None:
    campaign = make_campaign(world)
    viewer, actor = staff(world)
    with pytest.raises(InputError) as caught:
        services.load_names(
            viewer,
            actor,
            campaign,
            io.BytesIO(b"a.alpha\n"),
            filename="x.txt",
            **{**LEGAL, "legal_reference": reference},
        )
    assert caught.value.location.field == "legal_reference"


def test_json_outcome_notes_with_line_breaks_stay_on_one_line(world: World) -> None:
    campaign, _ = _delivered(world)
    body = services.outcomes_from_json(
        [{"name": "a.alpha", "outcome": "done", "note": "held\nby\x00us\r"}]
    )
    result = _outcomes(world, campaign, body.getvalue())
    assert result["applied"] == 1
    assert Target.objects.get(name="a.alpha").outcome_note == "held by us"
