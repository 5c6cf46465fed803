"""The campaigns API: create, upload, deliver, slices, manifests, acknowledgements, outcomes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dnscc.campaigns.models import Campaign, Slice, Target
from dnscc.outreach.models import Message
from tests.campaigns.test_services import LEGAL, load, make_campaign, make_incident
from tests.conftest import World


def _delivered(world: World) -> Campaign:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nb.alpha\nx.bravo\n")
    response = world.api("coordinator").post(f"/api/v1/campaigns/{campaign.slug}/deliver")
    assert response.status_code == 200, response.content
    return campaign


def _slice(campaign: Campaign, world: World, org: str = "a") -> Slice:
    return Slice.objects.get(
        campaign=campaign, organization=world.org_a if org == "a" else world.org_b
    )


def test_a_coordinator_creates_a_campaign_and_uploads_names(world: World) -> None:
    make_incident()
    api = world.api("coordinator")
    response = api.post(
        "/api/v1/campaigns/",
        data=json.dumps(
            {"incident": "DNSCC-2026-0001", "title": "Conficker <b>C</b>", "due_date": "2026-12-01"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    slug = response.json()["slug"]
    upload = SimpleUploadedFile("list.txt", b"a.alpha\nbad name\nz.nosuchtld\n")
    response = api.post(f"/api/v1/campaigns/{slug}/names", data={"file": upload, **LEGAL})
    assert response.status_code == 201, response.content
    report = response.json()
    assert (report["added"], report["invalid"], report["unassigned"]) == (2, 1, 1)
    assert report["invalid_lines"][0]["line"] == 2
    assert report["unknown_tlds"] == [{"tld": "nosuchtld", "names": 1}]
    detail = api.get(f"/api/v1/campaigns/{slug}").json()
    assert detail["names_total"] == 2
    assert len(detail["slices"]) == 1


def test_an_upload_without_a_legal_basis_names_the_field(world: World) -> None:
    campaign = make_campaign(world)
    upload = SimpleUploadedFile("list.txt", b"a.alpha\n")
    response = world.api("coordinator").post(
        f"/api/v1/campaigns/{campaign.slug}/names",
        data={"file": upload, **LEGAL, "legal_basis": "vibes"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "legal_basis"
    assert "Traceback" not in response.content.decode()


def test_an_upload_above_the_limit_is_refused_with_the_limit(world: World, settings: Any) -> None:
    settings.CAMPAIGN_UPLOAD_MAX_BYTES = 4096
    campaign = make_campaign(world)
    upload = SimpleUploadedFile("big.txt", b"n.alpha\n" * 1000)
    response = world.api("coordinator").post(
        f"/api/v1/campaigns/{campaign.slug}/names", data={"file": upload, **LEGAL}
    )
    assert response.status_code == 422
    assert "4,096 bytes" in response.json()["detail"]
    assert not Target.objects.exists()


def test_the_upload_middleware_lets_campaign_lists_through_up_to_their_own_limit(
    world: World, settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 1024
    settings.CAMPAIGN_UPLOAD_MAX_BYTES = 1024 * 1024
    campaign = make_campaign(world)
    data = b"".join(b"n%05d.alpha\n" % i for i in range(10_000))  # 120 KB, over 1 KiB
    response = world.api("coordinator").post(
        f"/api/v1/campaigns/{campaign.slug}/names",
        data={"file": SimpleUploadedFile("l.txt", data), **LEGAL},
    )
    assert response.status_code == 201, response.content[:300]
    settings.CAMPAIGN_UPLOAD_MAX_BYTES = 2048
    response = world.api("coordinator").post(
        f"/api/v1/campaigns/{campaign.slug}/names",
        data={"file": SimpleUploadedFile("l.txt", data), **LEGAL},
    )
    assert response.status_code == 413
    assert "DNSCC_CAMPAIGN_UPLOAD_MAX_BYTES" in response.json()["detail"]


def test_an_operator_cannot_see_or_download_another_orgs_slice(world: World) -> None:
    campaign = _delivered(world)
    theirs = _slice(campaign, world, "b")
    api = world.api("operator")
    base = f"/api/v1/campaigns/{campaign.slug}/slices"
    assert [s["organization"] for s in api.get(base).json()] == ["alpha-registry"]
    for url in (f"{base}/{theirs.pk}", f"{base}/{theirs.pk}/manifest.csv"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert "x.bravo" not in response.content.decode()
    assert api.post(f"{base}/{theirs.pk}/acknowledge").status_code == 404
    own = _slice(campaign, world)
    response = api.get(f"{base}/{own.pk}/manifest.csv")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == own.manifest_sha256["csv"]
    assert 'filename="' in response["Content-Disposition"]


def test_a_partner_sees_no_campaign(world: World) -> None:
    campaign = _delivered(world)
    api = world.api("partner")
    assert api.get("/api/v1/campaigns/").json() == []
    assert api.get(f"/api/v1/campaigns/{campaign.slug}").status_code == 404


def test_the_operator_acknowledges_and_reports_outcomes_as_json(world: World) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    api = world.api("operator")
    base = f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}"
    response = api.post(f"{base}/acknowledge")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    response = api.post(
        f"{base}/outcomes",
        data=json.dumps([{"name": "a.alpha", "outcome": "done", "note": "ok"}]),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1
    assert Target.objects.get(name="a.alpha").outcome == "done"


def test_an_outcome_csv_naming_a_name_outside_the_slice_is_rejected_with_the_line(
    world: World,
) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    upload = SimpleUploadedFile("out.csv", b"name,outcome\na.alpha,done\nx.bravo,done\n")
    response = world.api("operator").post(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/outcomes", data={"file": upload}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, "name")]
    assert not Target.objects.exclude(outcome="").exists()


def test_a_bad_json_outcome_body_is_a_clear_error(world: World) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    response = world.api("operator").post(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/outcomes",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_deliver_queues_messages_and_ending_sends_releases(world: World) -> None:
    campaign = _delivered(world)
    assert Message.objects.filter(kind="campaign_slice").count() == 2
    response = world.api("coordinator").post(f"/api/v1/campaigns/{campaign.slug}/end")
    assert response.status_code == 200
    assert response.json()["status"] == "ended"
    response = world.api("coordinator").post(f"/api/v1/campaigns/{campaign.slug}/deliver")
    assert response.status_code == 409


def test_an_unknown_manifest_format_is_refused(world: World) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    response = world.api("coordinator").get(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/manifest.exe"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "fmt"


def test_generate_names_from_a_dga(world: World) -> None:
    from dnscc.directory.models import Tld

    Tld.objects.create(name="ws", kind=Tld.CCTLD, operator=world.org_a)
    campaign = make_campaign(world)
    response = world.api("coordinator").post(
        f"/api/v1/campaigns/{campaign.slug}/generate",
        data=json.dumps(
            {"generator": "conficker-b", "start": "2020-01-01", "end": "2020-01-01", **LEGAL}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["added"] > 0
    response = world.api("coordinator").post(
        f"/api/v1/campaigns/{campaign.slug}/generate",
        data=json.dumps({"generator": "nope", "start": "2020-01-01", "end": "2020-01-01", **LEGAL}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_cli_creates_loads_delivers_and_shows_a_campaign(
    world: World, tmp_path: Any, capsys: Any
) -> None:
    from dnscc.cli import main

    make_incident()
    assert (
        main(
            [
                "campaign",
                "create",
                "--incident",
                "DNSCC-2026-0001",
                "--title",
                "CLI run",
                "--due",
                "2026-12-01",
            ]
        )
        == 0
    )
    slug = capsys.readouterr().out.strip()
    names = tmp_path / "names.txt"
    names.write_bytes(b"a.alpha\nbad name\n")
    legal = ["--action", "block", "--legal-basis", "court_order", "--legal-reference", "X"]
    assert main(["campaign", "load", slug, str(names), *legal]) == 0
    out = capsys.readouterr().out
    assert "1 added" in out
    assert "line 2" in out
    assert main(["campaign", "deliver", slug]) == 0
    assert main(["campaign", "slices", slug, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    manifest_file = tmp_path / "m.csv"
    assert main(["campaign", "manifest", slug, str(rows[0]["id"]), "-o", str(manifest_file)]) == 0
    assert (
        hashlib.sha256(manifest_file.read_bytes()).hexdigest() == rows[0]["manifest_sha256"]["csv"]
    )
    outcomes = tmp_path / "out.csv"
    outcomes.write_bytes(b"x.bravo,done\n")
    assert main(["campaign", "outcomes", slug, str(rows[0]["id"]), str(outcomes)]) == 65
    assert "line 1" in capsys.readouterr().err
    assert main(["campaign", "ack", slug, str(rows[0]["id"])]) == 0
    assert main(["campaign", "end", slug]) == 0
    assert main(["campaign", "show", "no-such-campaign"]) == 66


def test_a_multipart_outcome_post_without_a_file_is_a_clear_error(world: World) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    response = world.api("operator").post(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/outcomes", data={"other": "x"}
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "file"


def test_a_json_outcome_body_over_the_memory_limit_is_refused_with_413(
    world: World, settings: Any
) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps([{"name": "a.alpha", "outcome": "done", "note": "x" * 2000}])
    response = world.api("operator").post(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/outcomes",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 413, response.content
    assert "1024 bytes" in response.json()["detail"]
    assert not Target.objects.exclude(outcome="").exists()


def test_json_outcome_notes_with_line_breaks_are_recorded(world: World) -> None:
    campaign = _delivered(world)
    own = _slice(campaign, world)
    response = world.api("operator").post(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/outcomes",
        data=json.dumps([{"name": "a.alpha", "outcome": "done", "note": "held\nfor now"}]),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert Target.objects.get(name="a.alpha").outcome_note == "held for now"


def test_acknowledging_a_slice_with_new_names_waiting_is_a_conflict(world: World) -> None:
    campaign = _delivered(world)
    load(world, campaign, b"c.alpha\n", name="more.txt")
    own = _slice(campaign, world)
    response = world.api("operator").post(
        f"/api/v1/campaigns/{campaign.slug}/slices/{own.pk}/acknowledge"
    )
    assert response.status_code == 409
    assert "new names wait for delivery" in response.json()["detail"]


def test_a_campaign_title_with_a_tab_is_refused_naming_the_field(world: World) -> None:
    make_incident()
    response = world.api("coordinator").post(
        "/api/v1/campaigns/",
        data=json.dumps({"incident": "DNSCC-2026-0001", "title": "A\tB", "due_date": "2026-12-01"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"
