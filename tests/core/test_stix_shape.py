"""The indicators and relationships core.stix writes as plain dicts (for speed) are what the
stix2 library builds from the same properties, and parse back under stix2's strict checks;
a bundle with one object of every type the center exports validates with stix2-validator."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
import stix2
from stix2validator import ValidationOptions, validate_string

from dnscc.core import stix
from dnscc.core.tlp import TLP

CREATED = "2026-03-04T05:06:07.089Z"
CENTER = stix.identity("Demo CSIRT", key="center", identity_class="organization", created=CREATED)
CTX = stix.Context(tlp=TLP.AMBER, created_by=CENTER["id"], created=CREATED)


def _same_as_stix2(ours: dict[str, Any], built: Any) -> None:
    theirs = json.loads(built.serialize())
    assert ours == theirs
    assert list(ours) == list(theirs)  # the same order of properties, too
    parsed = stix2.parse(ours, allow_custom=False)
    assert json.loads(parsed.serialize()) == ours


@pytest.mark.parametrize(
    ("kind", "value", "labels"),
    [
        (stix.DOMAIN, "login-7.secure-pay.example", ("campaign:demo",)),
        (stix.DOMAIN, "o'brien\\x.example", ()),  # quotes and backslashes escaped
        (stix.IP, "192.0.2.7", ()),
        (stix.IP, "2001:db8:0:0::7", ()),
    ],
)
def test_an_indicator_is_what_stix2_builds(kind: str, value: str, labels: tuple[str, ...]) -> None:
    ours = stix.indicator(CTX, kind, value, key="demo", description="named", labels=labels)
    extra = {"labels": list(labels)} if labels else {}
    built = stix2.v21.Indicator(
        id=ours["id"],
        created_by_ref=CENTER["id"],
        created=CREATED,
        modified=CREATED,
        name=value,
        description="named",
        indicator_types=["malicious-activity"],
        pattern=ours["pattern"],
        pattern_type="stix",
        pattern_version="2.1",
        valid_from=CREATED,
        object_marking_refs=[stix.marking_ref(TLP.AMBER)],
        **extra,
    )
    _same_as_stix2(ours, built)
    assert stix.simple_pattern_value(ours["pattern"]) == (
        kind,
        value if kind == stix.DOMAIN else str(ipaddress.ip_address(value)),
    )


def test_a_relationship_is_what_stix2_builds() -> None:
    source = stix.indicator(CTX, stix.DOMAIN, "a.example", key="demo", description="d")["id"]
    target = stix.campaign_id("demo")
    ours = stix.relationship(CTX, source, "indicates", target, modified="2026-03-05T00:00:00.000Z")
    built = stix2.v21.Relationship(
        id=ours["id"],
        created_by_ref=CENTER["id"],
        created=CREATED,
        modified="2026-03-05T00:00:00.000Z",
        relationship_type="indicates",
        source_ref=source,
        target_ref=target,
        object_marking_refs=[stix.marking_ref(TLP.AMBER)],
    )
    _same_as_stix2(ours, built)


def test_a_bundle_of_every_exported_type_validates_with_stix2_validator() -> None:
    campaign = stix.CampaignInfo(
        slug="demo",
        title="Demo campaign",
        description="Block generated names",
        action="block",
        created=CREATED,
        modified=CREATED,
        incident_ref="DNSCC-2026-0001",
        coverage=(stix.Coverage(tld="example", names=2, verified=1, registry="Example NIC"),),
    )
    objects = [
        stix.MARKINGS[TLP.AMBER],
        stix.MARKINGS[TLP.CLEAR],
        CENTER,
        *stix.incident_objects(
            CTX,
            stix.IncidentInfo(
                ref="DNSCC-2026-0001",
                title="Generated names",
                summary="A botnet's names",
                dns_type="dga-botnet",
                severity="high",
                created=CREATED,
                modified=CREATED,
                names=("a.example",),
                ips=("192.0.2.7",),
            ),
        ),
        *stix.campaign_objects(CTX, campaign),
        *stix.campaign_indicators(CTX, campaign, ["b.example"]),
        *stix.advisory_objects(
            CTX,
            stix.AdvisoryInfo(
                tracking_id="DNSCC-ADV-2026-001",
                title="Block the names",
                summary="Registries are asked to block them",
                url="https://csirt.example/.well-known/csaf/white/2026/dnscc-adv-2026-001.json",
                sha256="0" * 64,
                published=CREATED,
            ),
            CENTER["id"],
        ),
        *stix.finding_objects(
            CTX,
            stix.FindingInfo(
                zone="example",
                code="DNSSEC_EXPIRED",
                message="signatures expired",
                first_seen=CREATED,
                last_seen=CREATED,
                key="finding-1",
            ),
            CENTER["id"],
        ),
    ]
    types = {o["type"] for o in objects}
    assert types == {
        "marking-definition",
        "identity",
        "incident",
        "indicator",
        "relationship",
        "campaign",
        "note",
        "report",
        "sighting",
    }
    bundle = stix.dumps({"type": "bundle", "id": stix.stix_id("bundle", "t"), "objects": objects})
    result = validate_string(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
