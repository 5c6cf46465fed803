"""Advisories: draft, review, publish as a CSAF provider, distribute in each language."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pysequoia
import pytest
from django.test import Client

from dnscc.directory.models import Contact, Organization
from dnscc.outreach import pgp
from dnscc.outreach.models import Advisory, Message
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from tests.conftest import World

ADVISORY = {
    "title": "KeyTrap: validating resolvers exhausted by crafted DNSSEC answers",
    "category": "csaf_security_advisory",
    "tlp": "CLEAR",
    "summary": "A single crafted answer can keep a validating resolver busy for minutes.",
    "details": "Colliding key tags and many signatures multiply validation work.",
    "recommendation": "Upgrade to a fixed release.",
    "products": [{"vendor": "NLnet Labs", "product": "Unbound", "versions": ["1.19.0"]}],
    "vulnerabilities": [
        {"cve": "CVE-2023-50387", "title": "KeyTrap", "description": "CPU exhaustion."}
    ],
    "references": [{"url": "https://example.org/keytrap", "summary": "Write-up"}],
    "audience": {"kinds": ["tld_registry"]},
}


def _publish(world: World, data: dict[str, Any] | None = None) -> dict[str, Any]:
    api = world.api("coordinator")
    created = api.post(
        "/api/v1/outreach/advisories", data or ADVISORY, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    tid = created.json()["tracking_id"]
    assert api.post(f"/api/v1/outreach/advisories/{tid}/submit").status_code == 200
    # Two-person rule: the coordinator wrote it, the administrator approves it.
    published = world.api("admin").post(f"/api/v1/outreach/advisories/{tid}/publish")
    assert published.status_code == 200, published.content
    return published.json()


@pytest.fixture
def languages(world: World) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(languages=["fr"])
    Organization.objects.filter(pk=world.org_b.pk).update(languages=["es"])


@pytest.mark.django_db
def test_a_published_advisory_is_in_the_provider_metadata_with_hashes_and_signature(
    world: World, outbox: SmtpSink, languages: None
) -> None:
    result = _publish(world)
    advisory = result["advisory"]
    assert advisory["status"] == "published"
    meta = Client().get("/.well-known/csaf/provider-metadata.json").json()
    assert meta["metadata_version"] == "2.0"
    assert meta["role"] == "csaf_provider"
    assert meta["public_openpgp_keys"][0]["fingerprint"] == pgp.center_fingerprint()
    white = next(
        d["directory_url"] for d in meta["distributions"] if d["directory_url"].endswith("/white/")
    )
    path = white.removeprefix("http://127.0.0.1:8000")
    index = Client().get(path + "index.txt").content.decode()
    doc_path = path + index.strip()
    assert doc_path == advisory["url"].removeprefix("http://127.0.0.1:8000")
    doc = Client().get(doc_path).content
    assert json.loads(doc)["document"]["tracking"]["id"] == advisory["tracking_id"]
    assert (
        Client().get(doc_path + ".sha256").content.decode().split()[0]
        == hashlib.sha256(doc).hexdigest()
    )
    assert (
        Client().get(doc_path + ".sha512").content.decode().split()[0]
        == hashlib.sha512(doc).hexdigest()
    )
    signature = Client().get(doc_path + ".asc").content
    key = Client().get(meta["public_openpgp_keys"][0]["url"].removeprefix("http://127.0.0.1:8000"))
    cert = pysequoia.Cert.from_bytes(key.content)
    assert pgp.verify_detached(doc, signature, cert)
    assert advisory["tracking_id"].lower() in Client().get(path + "changes.csv").content.decode()


@pytest.mark.django_db
def test_a_published_advisory_reaches_the_targeted_organizations_in_their_languages(
    world: World, outbox: SmtpSink, languages: None
) -> None:
    result = _publish(world)
    assert result["distribution"]["messages"] == 2  # the two registries, not the CSIRT
    drain()
    by_org = {m.organization.slug: m for m in Message.objects.select_related("organization")}
    assert set(by_org) == {"alpha-registry", "bravo-registry"}
    assert by_org["alpha-registry"].subject.startswith("[avis dnscc")
    assert by_org["bravo-registry"].subject.startswith("[aviso dnscc")
    assert all(m.state == Message.ACCEPTED for m in by_org.values())
    tid = result["advisory"]["tracking_id"]
    # The operator acknowledges; the coordinator sees it per recipient.
    key = by_org["alpha-registry"].key
    assert world.api("operator").post(f"/api/v1/outreach/messages/{key}/ack").status_code == 200
    page = world.client("coordinator").get(f"/outreach/advisories/{tid}/")
    assert b"acknowledged" in page.content
    status = world.api("coordinator").get(
        f"/api/v1/outreach/notices/{result['advisory']['notice']}"
    )
    assert status.json()["counts"] == {"acknowledged": 1, "accepted": 1}


@pytest.mark.django_db
def test_a_coordinator_publishes_from_the_portal(world: World, outbox: SmtpSink) -> None:
    client = world.client("coordinator")
    response = client.post(
        "/outreach/advisories/new/",
        {
            "title": "Phishing wave against registrar accounts",
            "category": "csaf_informational_advisory",
            "tlp": "GREEN",
            "summary": "Credential phishing targets registrar portals.",
            "recommendation": "Enforce two-factor authentication.",
            "references": "https://example.org/phish",
            "audience_regions": "AF",
            "audience_kinds": "",
            "audience_languages": "",
            "audience_organizations": "",
        },
    )
    assert response.status_code == 302
    advisory = Advisory.objects.get()
    base = f"/outreach/advisories/{advisory.tracking_id}/"
    assert client.post(base + "submit").status_code == 302
    approver = world.client("admin")
    asked = approver.post(base + "publish")
    assert "Yes, publish and distribute" in asked.content.decode()
    assert Advisory.objects.get().status == Advisory.REVIEW  # nothing until confirmed
    assert approver.post(base + "publish", {"confirm": "yes"}).status_code == 302
    advisory.refresh_from_db()
    assert advisory.status == Advisory.PUBLISHED
    assert set(Message.objects.values_list("organization__slug", flat=True)) == {"alpha-registry"}
    # GREEN: not for anonymous visitors, even with the exact URL; fine for the community.
    path = f"/.well-known/csaf/green/{advisory.published_at:%Y}/{advisory.tracking_id.lower()}.json"
    assert Client().get(path).status_code == 404
    assert world.client("partner").get(path).status_code == 200
    page = client.get(base)
    assert b"Enforce two-factor authentication." in page.content


@pytest.mark.django_db
def test_an_advisory_that_fails_validation_cannot_be_published(
    world: World, outbox: SmtpSink
) -> None:
    bad = {**ADVISORY, "vulnerabilities": [{"cve": "CVE-2023-50387"}, {"cve": "CVE-2023-50387"}]}
    api = world.api("coordinator")
    tid = api.post("/api/v1/outreach/advisories", bad, content_type="application/json").json()[
        "tracking_id"
    ]
    api.post(f"/api/v1/outreach/advisories/{tid}/submit")
    response = world.api("admin").post(f"/api/v1/outreach/advisories/{tid}/publish")
    assert response.status_code == 422
    text = json.dumps(response.json())
    assert "Vulnerabilities, line 2: the CVE" in text or "the same CVE is listed twice" in text
    assert "6.1.23" in text
    advisory = Advisory.objects.get(tracking_id=tid)
    assert advisory.status == Advisory.REVIEW
    assert not advisory.document
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_draft_is_not_published_without_review(world: World, outbox: SmtpSink) -> None:
    api = world.api("coordinator")
    tid = api.post("/api/v1/outreach/advisories", ADVISORY, content_type="application/json").json()[
        "tracking_id"
    ]
    response = api.post(f"/api/v1/outreach/advisories/{tid}/publish")
    assert response.status_code == 409


@pytest.mark.django_db
def test_an_amber_strict_advisory_is_marked_amber_in_csaf_with_its_tlp_2_label_kept(
    world: World, outbox: SmtpSink
) -> None:
    result = _publish(world, {**ADVISORY, "tlp": "AMBER+STRICT"})
    advisory = Advisory.objects.get(tracking_id=result["advisory"]["tracking_id"])
    doc = json.loads(advisory.document)
    assert doc["document"]["distribution"]["tlp"]["label"] == "AMBER"
    assert "TLP:AMBER+STRICT" in doc["document"]["distribution"]["text"]
    path = result["advisory"]["url"].removeprefix("http://127.0.0.1:8000")
    assert "/amber/" in path
    assert world.client("operator").get(path).status_code == 200  # a recipient organisation
    assert world.client("partner").get(path).status_code == 404  # not a recipient
    assert Client().get(path).status_code == 404


@pytest.mark.django_db
def test_a_webhook_contact_gets_the_advisory_too(
    world: World, outbox: SmtpSink, http_sink: Any
) -> None:
    Contact.objects.create(organization=world.org_a, name="Hook", webhook_url=http_sink.url("/ok"))
    _publish(world)
    drain()
    assert http_sink.received.total == 1
    body = json.loads(http_sink.received.messages[0]["body"])
    assert body["kind"] == "advisory"
    assert body["data"]["tracking_id"].startswith("DNSCC-")
