"""Advisory revisions: a published advisory is revised (draft, review, publish again) while
its last published version stays served; the new version keeps the tracking id, URL and
first release date, grows the revision history, validates, and is distributed as an
update."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pysequoia
import pytest
from django.test import Client

from dnscc.outreach import pgp
from dnscc.outreach.models import Advisory, Message
from dnscc.outreach.sinks import SmtpSink
from tests.conftest import World
from tests.outreach.test_advisories import ADVISORY, _publish

HOST = "http://127.0.0.1:8000"
API = "/api/v1/outreach/advisories"


def _csaf(url: str) -> tuple[bytes, dict[str, Any]]:
    content = Client().get(url.removeprefix(HOST)).content
    return content, json.loads(content)


@pytest.mark.django_db
def test_a_revision_keeps_the_address_grows_the_history_and_is_distributed_as_an_update(
    world: World, outbox: SmtpSink
) -> None:
    first = _publish(world)["advisory"]
    tid, url = first["tracking_id"], first["url"]
    v1_bytes, v1 = _csaf(url)
    api = world.api("coordinator")
    Message.objects.all().delete()

    revising = api.post(f"{API}/{tid}/revise")
    assert revising.status_code == 200, revising.content
    assert revising.json()["status"] == "draft"
    assert revising.json()["version"] == 1
    changed = api.patch(
        f"{API}/{tid}",
        {
            "summary": "Fixed releases are out for every affected resolver.",
            "revision_summary": "Fixed releases of Unbound listed.",
        },
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    # While the revision is drafted, readers and the provider still get version 1.
    assert _csaf(url)[0] == v1_bytes
    read = world.api("operator").get(f"{API}/{tid}").json()
    assert read["csaf"]["document"]["tracking"]["version"] == "1"
    assert "draft_csaf" not in read
    staff = api.get(f"{API}/{tid}").json()
    assert staff["draft_csaf"]["document"]["tracking"]["version"] == "2"

    assert api.post(f"{API}/{tid}/submit").status_code == 200
    published = world.api("admin").post(f"{API}/{tid}/publish")
    assert published.status_code == 200, published.content
    second = published.json()["advisory"]
    assert second["url"] == url
    assert second["version"] == 2
    v2_bytes, v2 = _csaf(url)
    tracking, before = v2["document"]["tracking"], v1["document"]["tracking"]
    assert tracking["id"] == tid
    assert tracking["version"] == "2"
    assert tracking["initial_release_date"] == before["initial_release_date"]
    assert tracking["current_release_date"] >= before["current_release_date"]
    assert [r["number"] for r in tracking["revision_history"]] == ["1", "2"]
    assert tracking["revision_history"][0] == before["revision_history"][0]
    assert tracking["revision_history"][1]["summary"] == "Fixed releases of Unbound listed."
    assert v2["document"]["notes"][0]["text"].startswith("Fixed releases are out")
    # Hashes and signature are the new document's.
    sha = Client().get(url.removeprefix(HOST) + ".sha256").content.decode().split()[0]
    assert sha == hashlib.sha256(v2_bytes).hexdigest() == second["sha256"]
    cert = pysequoia.Cert.from_bytes(pgp.center_public_key().encode())
    signature = Client().get(url.removeprefix(HOST) + ".asc").content
    assert pgp.verify_detached(v2_bytes, signature, cert)
    assert not pgp.verify_detached(v1_bytes, signature, cert)
    # The audience hears of the update, with what changed.
    updates = list(Message.objects.all())
    assert {m.kind for m in updates} == {"advisory_update"}
    assert len(updates) == 2  # the two registries, as for version 1
    assert all("Fixed releases of Unbound listed." in m.body for m in updates)
    assert all("v2]" in m.subject for m in updates)
    advisory = Advisory.objects.get(tracking_id=tid)
    assert advisory.revision_summary == ""
    assert advisory.current_release_at is not None
    assert advisory.published_at is not None
    assert advisory.current_release_at > advisory.published_at


@pytest.mark.django_db
def test_a_revision_says_what_it_changes_before_review(world: World, outbox: SmtpSink) -> None:
    tid = _publish(world)["advisory"]["tracking_id"]
    api = world.api("coordinator")
    api.post(f"{API}/{tid}/revise")
    refused = api.post(f"{API}/{tid}/submit")
    assert refused.status_code in (400, 422), refused.content
    assert "revision_summary" in refused.content.decode()
    assert Advisory.objects.get(tracking_id=tid).status == Advisory.DRAFT


@pytest.mark.django_db
def test_a_revision_keeps_its_tlp(world: World, outbox: SmtpSink) -> None:
    tid = _publish(world)["advisory"]["tracking_id"]
    api = world.api("coordinator")
    api.post(f"{API}/{tid}/revise")
    refused = api.patch(f"{API}/{tid}", {"tlp": "AMBER"}, content_type="application/json")
    assert refused.status_code in (400, 422), refused.content
    body = refused.content.decode()
    assert "tlp" in body
    assert "new advisory" in body
    assert Advisory.objects.get(tracking_id=tid).tlp == "CLEAR"


@pytest.mark.django_db
def test_only_a_published_advisory_is_revised_and_a_published_one_is_not_edited_in_place(
    world: World, outbox: SmtpSink
) -> None:
    api = world.api("coordinator")
    draft = api.post(API, ADVISORY, content_type="application/json").json()["tracking_id"]
    assert api.post(f"{API}/{draft}/revise").status_code == 409
    tid = _publish(world)["advisory"]["tracking_id"]
    edit = api.patch(f"{API}/{tid}", {"summary": "x"}, content_type="application/json")
    assert edit.status_code == 409
    assert "start a revision" in edit.content.decode()
    assert world.api("operator").post(f"{API}/{tid}/revise").status_code == 403


@pytest.mark.django_db
def test_a_coordinator_revises_from_the_portal(world: World, outbox: SmtpSink) -> None:
    tid = _publish(world)["advisory"]["tracking_id"]
    client = world.client("coordinator")
    base = f"/outreach/advisories/{tid}/"
    assert b"Start a revision" in client.get(base).content
    started = client.post(base + "revise")
    assert started.status_code == 302
    assert started["Location"] == base + "edit/"
    form = client.get(base + "edit/").content.decode()
    assert "What this revision changes" in form
    assert ADVISORY["summary"] in form
    assert "https://example.org/keytrap" in form
    saved = client.post(
        base + "edit/",
        {
            "title": ADVISORY["title"],
            "category": ADVISORY["category"],
            "tlp": "CLEAR",
            "summary": "Patched everywhere.",
            "details": ADVISORY["details"],
            "recommendation": ADVISORY["recommendation"],
            "products": "NLnet Labs | Unbound | 1.19.0, 1.19.1",
            "vulnerabilities": "CVE-2023-50387 | KeyTrap | CPU exhaustion.",
            "references": "https://example.org/keytrap",
            "audience_regions": "",
            "audience_kinds": "tld_registry",
            "audience_languages": "",
            "audience_organizations": "",
            "revision_summary": "Unbound 1.19.1 added.",
        },
    )
    assert saved.status_code == 302, saved.content
    advisory = Advisory.objects.get(tracking_id=tid)
    assert advisory.references == ADVISORY["references"]  # the summary survived the edit
    assert advisory.products[0]["versions"] == ["1.19.0", "1.19.1"]
    assert client.post(base + "submit").status_code == 302
    assert world.client("admin").post(base + "publish", {"confirm": "yes"}).status_code == 302
    client = world.client("admin")
    page = client.get(base).content.decode()
    assert "Revision history" in page
    assert "Unbound 1.19.1 added." in page
    assert "version 2" in page


@pytest.mark.django_db
def test_advisories_published_before_revisions_existed_become_version_1(
    world: World, outbox: SmtpSink
) -> None:
    import importlib

    from django.apps import apps

    tid = _publish(world)["advisory"]["tracking_id"]
    # As the 0001 schema left it: published, but no version or history.
    Advisory.objects.filter(tracking_id=tid).update(
        version=0, current_release_at=None, revision_history=[]
    )
    assert world.api("operator").get(f"{API}/{tid}").status_code == 404
    migration = importlib.import_module("dnscc.outreach.migrations.0002_advisory_revisions")
    migration.number_published(apps, None)
    advisory = Advisory.objects.get(tracking_id=tid)
    assert advisory.version == 1
    assert advisory.current_release_at == advisory.published_at
    assert advisory.revision_history == [
        json.loads(advisory.document)["document"]["tracking"]["revision_history"][0]
    ]
    assert world.api("operator").get(f"{API}/{tid}").status_code == 200
