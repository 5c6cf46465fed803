"""The shipped threat catalogue and the assets drawn from the directory."""

from __future__ import annotations

from typing import Any

import pytest

from dnscc.accounts import audit
from dnscc.core.errors import InputError, NotFoundError, PermissionDenied, ValidationErrors
from dnscc.core.taxonomy import DNS_TYPES
from dnscc.core.threats import parse_catalogue
from dnscc.core.tlp import Role, Viewer
from dnscc.directory.models import Organization, Tld
from dnscc.risk import assets, catalogue
from dnscc.risk.models import Asset, ThreatEvent

STAFF = Viewer(user_id=None, role=Role.COORDINATOR)
ACTOR = audit.Actor("test")

# The identifiers other parts of the center (exercise scenarios, survey questions) rely on.
STABLE_EVENTS = {
    "cache-poisoning",
    "response-rewriting",
    "ddos-root",
    "ddos-tld",
    "registry-compromise",
    "registrar-account-hijack",
    "dnssec-failure",
    "registry-failure",
    "malicious-registrations",
    "zone-data-leak",
}


def test_the_shipped_catalogue_names_only_known_incident_types_and_probe_codes() -> None:
    parsed = parse_catalogue(
        catalogue.SHIPPED.read_text(),
        incident_types=set(DNS_TYPES),
        probe_codes=catalogue.probe_codes(),
    )
    assert set(parsed.events) == STABLE_EVENTS
    assert {s.type for s in parsed.sources.values()} == {
        "adversarial",
        "accidental",
        "structural",
        "environmental",
    }
    for event in parsed.events.values():
        assert event.reference, f"{event.id} names no source document"
        assert event.incident_types, f"{event.id} has no incident type evidencing it"


def test_every_incident_type_but_other_evidences_some_threat_event() -> None:
    parsed = parse_catalogue(
        catalogue.SHIPPED.read_text(),
        incident_types=set(DNS_TYPES),
        probe_codes=catalogue.probe_codes(),
    )
    linked = {t for e in parsed.events.values() for t in e.incident_types}
    assert set(DNS_TYPES) - linked == {"other"}


@pytest.mark.django_db
def test_loading_the_catalogue_twice_changes_nothing_the_second_time() -> None:
    first = catalogue.load_catalogue(ACTOR)
    assert first["created"]["events"] == len(STABLE_EVENTS)
    second = catalogue.load_catalogue(ACTOR)
    assert second["created"] == {"sources": 0, "events": 0}
    event = ThreatEvent.objects.get(key="dnssec-failure")
    assert "DNSSEC04" in event.probe_codes
    assert {s.type for s in event.sources.all()} == {"accidental", "structural"}


@pytest.mark.django_db
def test_a_file_of_extra_events_may_use_stored_sources_and_bad_ones_write_nothing(
    tmp_path: Any,
) -> None:
    catalogue.load_catalogue(ACTOR)
    extra = tmp_path / "extra.toml"
    extra.write_text(
        '[events.bgp-hijack-of-resolvers]\nname = "BGP hijack of resolver prefixes"\n'
        'sources = ["adversarial-nation-state"]\nrelevance = "anticipated"\n'
        'incident_types = ["cache-poisoning"]\n'
    )
    catalogue.load_catalogue(ACTOR, extra)
    assert ThreatEvent.objects.get(key="bgp-hijack-of-resolvers").shipped is False
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[events.x1]\nname = "x"\nsources = ["nobody"]\n[events.x2]\nname = "y"\nsources = []\n'
    )
    before = ThreatEvent.objects.count()
    with pytest.raises(ValidationErrors) as caught:
        catalogue.load_catalogue(ACTOR, bad)
    assert {e.location.field for e in caught.value.errors} == {
        "events.x1.sources",
        "events.x2.sources",
    }
    assert ThreatEvent.objects.count() == before


def _directory() -> None:
    provider = Organization.objects.create(
        name="Big Backend", slug="big-backend", kind=Organization.TLD_REGISTRY, region="NA"
    )
    small = Organization.objects.create(
        name="Small Registry", slug="small", kind=Organization.TLD_REGISTRY, region="AF"
    )
    Organization.objects.create(
        name="Res Op", slug="res-op", kind=Organization.RESOLVER_OPERATOR, region="EU"
    )
    Organization.objects.create(name="A CERT", slug="a-cert", kind=Organization.CSIRT, region="EU")
    for i in range(3):
        Tld.objects.create(name=f"big{i}", kind=Tld.GTLD, operator=provider, region="NA")
    Tld.objects.create(name="ke", kind=Tld.CCTLD, operator=small, region="AF", country="KE")
    Tld.objects.create(name="arpa", kind=Tld.INFRASTRUCTURE)


@pytest.mark.django_db
def test_assets_follow_the_directory_with_their_criticality() -> None:
    _directory()
    result = assets.sync_assets(ACTOR)
    got = {a.key: (a.kind, a.effective_criticality, a.region) for a in Asset.objects.all()}
    assert got["org:big-backend"] == ("backend_provider", "high", "NA")
    assert got["org:small"] == ("registry", "moderate", "AF")
    assert got["org:res-op"] == ("resolver_operator", "moderate", "EU")
    assert got["tld:ke"] == ("tld", "moderate", "AF")
    assert got["tld:arpa"][1] == "very high"
    assert got["root-zone"][1] == "very high"
    assert "org:a-cert" not in got  # a CSIRT is a responder, not an asset
    assert result["created"] == len(got)
    assert assets.sync_assets(ACTOR) == {"created": 0, "updated": 0, "retired": 0, "revived": 0}


@pytest.mark.django_db
def test_an_undelegated_tld_retires_its_asset_and_a_renamed_operator_is_followed() -> None:
    _directory()
    assets.sync_assets(ACTOR)
    Tld.objects.filter(name="ke").update(delegated=False)
    Organization.objects.filter(slug="small").update(name="Small Registry Ltd")
    result = assets.sync_assets(ACTOR)
    assert Asset.objects.get(key="tld:ke").retired_at is not None
    # The registry has no delegated TLD left: retired as well.
    assert Asset.objects.get(key="org:small").retired_at is not None
    assert result["retired"] == 2
    Tld.objects.filter(name="ke").update(delegated=True)
    assert assets.sync_assets(ACTOR)["revived"] == 2
    assert Asset.objects.get(key="org:small").name == "Small Registry Ltd"


@pytest.mark.django_db
def test_a_criticality_override_needs_a_reason_and_staff() -> None:
    _directory()
    assets.sync_assets(ACTOR)
    with pytest.raises(InputError, match="reason"):
        assets.set_criticality(STAFF, ACTOR, "tld:ke", level="very high", reason="")
    with pytest.raises(InputError, match="scale"):
        assets.set_criticality(STAFF, ACTOR, "tld:ke", level="enormous", reason="x")
    with pytest.raises(PermissionDenied):
        assets.set_criticality(
            Viewer(user_id=5, role=Role.OPERATOR), ACTOR, "tld:ke", level="high", reason="x"
        )
    with pytest.raises(NotFoundError):
        assets.set_criticality(STAFF, ACTOR, "tld:nope", level="high", reason="x")
    asset = assets.set_criticality(
        STAFF, ACTOR, "tld:ke", level="high", reason="national e-government runs on it"
    )
    assert asset.effective_criticality == "high"
    assets.sync_assets(ACTOR)  # a sync keeps the override
    assert Asset.objects.get(key="tld:ke").effective_criticality == "high"
