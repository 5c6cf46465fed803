"""A takedown campaign in the browser, from the operator's side: the operator of Alpha
Registry finds the campaign through the main navigation, opens its own slice, downloads the
CSV manifest (whose SHA-256 the page shows), reports outcomes with a CSV upload and
acknowledges the slice. A file naming a name outside the slice records nothing and says
which line is wrong. No console error, no CSP violation, no failed request."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.campaigns import services
from dnscc.campaigns.models import Campaign, Slice, Target
from dnscc.incidents.models import Incident
from tests.browser.conftest import Problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Sinkhole the Alpha botnet"


def _campaign(world: Any, settings: Any) -> tuple[Campaign, Slice]:
    """A campaign with org_a's slice delivered (a.alpha, b.alpha) and org_b's pending
    (x.bravo), built through the services as tests/campaigns/authz_rows.py does.

    Delivery queues the slice's message and, on commit, drains the outbox at once (the test
    settings run tasks immediately). The sender drives an asyncio loop of its own, which
    cannot run in this thread while Playwright's loop runs here: the messages stay queued.
    """
    settings.OUTREACH_AUTODRAIN = False
    Incident.objects.get_or_create(
        ref="DNSCC-2026-0900", defaults={"title": "botnet", "created_at": timezone.now()}
    )
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    campaign = services.create_campaign(
        viewer,
        actor,
        incident_ref="DNSCC-2026-0900",
        title=TITLE,
        due_date=dt.date(2026, 12, 1),
        user=user,
    )
    legal = {"action": "block", "legal_basis": "court_order", "legal_reference": "Case 1"}
    services.load_names(
        viewer, actor, campaign, io.BytesIO(b"a.alpha\nb.alpha\n"), filename="a.txt", **legal
    )
    services.deliver(viewer, actor, campaign)
    services.load_names(
        viewer, actor, campaign, io.BytesIO(b"x.bravo\n"), filename="b.txt", **legal
    )
    return campaign, Slice.objects.get(campaign=campaign, organization=world.org_a)


def _open_own_slice(page: Page) -> None:
    """From the dashboard: Campaigns in the main navigation, the campaign, the own slice."""
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Campaigns", exact=True
        ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    with page.expect_navigation(wait_until="load"):
        page.locator("#campaigns").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    slices = page.locator("#slices")
    # The operator sees its own slice only, not the other registry's.
    expect(slices).not_to_contain_text("Bravo")
    with page.expect_navigation(wait_until="load"):
        slices.get_by_role("link", name="Alpha Registry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Registry")


def _outcomes(page: Page, name: str, content: bytes) -> None:
    page.locator("#upload-outcomes input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Upload outcomes").click()


def test_the_operator_downloads_its_manifest_reports_outcomes_and_acknowledges_its_slice(
    page: Page, problems: Problems, live_server: Any, login: Any, world: Any, settings: Any
) -> None:
    campaign, own = _campaign(world, settings)
    stored = own.manifest_sha256["csv"]
    assert re.fullmatch(r"[0-9a-f]{64}", stored), stored

    login(page, "op_a")
    _open_own_slice(page)
    links = page.locator("#manifest-links")
    shown = links.locator("li", has_text="CSV").locator("code").inner_text().strip()
    assert shown == stored

    with page.expect_download() as info:
        links.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    content = Path(download.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == stored
    assert b"a.alpha" in content
    assert b"x.bravo" not in content

    _outcomes(page, "outcomes.csv", b"name,outcome,note\na.alpha,done,suspended\nb.alpha,done\n")
    expect(page.locator(".messages")).to_contain_text("2 outcome(s) recorded.")
    targets = page.locator("#targets")
    expect(targets.locator("tr", has_text="a.alpha")).to_contain_text("Done")
    expect(targets.locator("tr", has_text="a.alpha")).to_contain_text("suspended")
    expect(targets.locator("tr", has_text="b.alpha")).to_contain_text("Done")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Acknowledge this slice").click()
    expect(page.locator(".messages")).to_contain_text("Slice acknowledged.")
    main = page.locator("main")
    expect(main).to_contain_text(re.compile(r"Acknowledged \d{4}-\d\d-\d\d \d\d:\d\d UTC by op_a"))
    expect(page.get_by_role("button", name="Acknowledge this slice")).to_have_count(0)

    # The campaign's page counts the reported names and shows the acknowledgement.
    with page.expect_navigation(wait_until="load"):
        main.get_by_role("link", name=TITLE).click()
    row = page.locator("#slices tr", has_text="Alpha Registry")
    expect(row).to_contain_text("2 / 2")
    expect(row).to_contain_text("(the portal)")

    own.refresh_from_db()
    assert own.acknowledged_at is not None
    assert own.acknowledged_via == "portal"
    assert own.reported == 2
    assert dict(Target.objects.filter(campaign=campaign).values_list("name", "outcome")) == {
        "a.alpha": "done",
        "b.alpha": "done",
        "x.bravo": "",
    }
    # Chromium hands the manifest's response to the download manager and reports the
    # navigation it started as aborted: the download itself completed (checked above).
    manifest = f"{live_server.url}/campaigns/{campaign.slug}/slices/{own.pk}/manifest.csv"
    aborted = f"GET {manifest}: net::ERR_ABORTED"
    assert problems.failed == [aborted], problems.failed
    problems.failed.clear()
    assert problems.all() == [], "\n".join(problems.all())


def test_an_outcome_for_a_name_outside_the_slice_is_refused_with_its_line_and_records_nothing(
    page: Page, problems: Problems, login: Any, world: Any, settings: Any
) -> None:
    _, own = _campaign(world, settings)
    before = sorted(Target.objects.values_list("pk", "outcome", "outcome_at"))

    login(page, "op_a")
    _open_own_slice(page)
    _outcomes(page, "outcomes.csv", b"a.alpha,done\nx.bravo,done\n")

    messages = page.locator(".messages")
    expect(messages).to_contain_text("Nothing was recorded: the file has problems.")
    expect(messages.locator("li.error", has_text="x.bravo")).to_have_text(
        re.compile(r"outcomes\.csv, line 2, .*'x\.bravo' is not in your slice")
    )
    expect(messages).not_to_contain_text("outcome(s) recorded")
    expect(page.locator("#targets tr", has_text="a.alpha")).not_to_contain_text("done")

    assert sorted(Target.objects.values_list("pk", "outcome", "outcome_at")) == before
    own.refresh_from_db()
    assert own.reported == 0
    assert own.acknowledged_at is None
    assert problems.all() == [], "\n".join(problems.all())
