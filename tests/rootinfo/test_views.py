"""The pages: the system at a glance shows what the files say; plots over a date range;
exports; a root operator's member may enter the space, other members may not."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import yaml

from dnscc.accounts.services import create_user
from dnscc.directory.models import Organization
from dnscc.rootinfo.models import IngestRun


def _cell(html: str, row_letter: str) -> str:
    m = re.search(rf'<tr>\s*<td><a href="/rootinfo/letter/{row_letter}/">.*?</tr>', html, re.S)
    assert m, f"no row for {row_letter}"
    return m.group(0)


def test_the_glance_shows_each_letters_latest_figures_as_published(
    loaded: IngestRun, sample: Path, world: Any
) -> None:
    page = world.client("coordinator").get("/rootinfo/")
    assert page.status_code == 200
    html = page.content.decode()
    for letter in "aeik":
        published = yaml.safe_load(
            (
                sample / f"2024/06/traffic-volume/{letter}-root-20240614-traffic-volume.yaml"
            ).read_bytes()
        )
        queries = sum(
            v
            for k, v in published.items()
            if "queries-received" in str(k) and not str(k).startswith("b-")
        )
        row = _cell(html, letter)
        assert "2024-06-14" in row
        assert f'data-value="{queries}"' in row
        assert f"{published['dns-udp-queries-received-ipv4']:,}" in row
    # Unique sources and load time come from the latest day that has them (06-02).
    k_sources = yaml.safe_load(
        (sample / "2024/06/unique-sources/k-root-20240602-unique-sources.yaml").read_bytes()
    )
    assert f"{k_sources['num-sources-ipv4']:,}" in _cell(html, "k")
    assert "not published" in _cell(html, "g")  # g-root publishes no unique sources
    for name in ("queries", "rcodes", "sources", "load", "query_sizes", "response_sizes"):
        assert f'id="plot-{name}"' in html
    assert html.count("<svg") >= 6


def test_the_plots_follow_the_date_range_and_a_bad_date_is_said(
    loaded: IngestRun, world: Any
) -> None:
    client = world.client("admin")
    page = client.get("/rootinfo/?from=2024-06-03&to=2024-06-05")
    html = page.content.decode()
    assert "2024-06-03" in html
    assert "2024-06-05" in html
    bad = client.get("/rootinfo/?from=yesterday")
    assert "is not a date" in bad.content.decode()


def test_a_letter_page_lists_its_days_and_how_its_files_were_read(
    loaded: IngestRun, world: Any
) -> None:
    page = world.client("coordinator").get("/rootinfo/letter/c/?from=2024-06-01&to=2024-06-14")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Cogent" in html
    assert "empty &#x27;rcodes:&#x27; key" in html or "empty 'rcodes:' key" in html
    assert html.count("<svg") >= 4
    assert world.client("coordinator").get("/rootinfo/letter/z/").status_code == 404


def test_exports_give_the_stored_figures_as_csv_and_json(loaded: IngestRun, world: Any) -> None:
    client = world.client("coordinator")
    r = client.get("/rootinfo/export?from=2024-06-01&to=2024-06-14&letter=a&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert len(rows) == 14
    assert rows[0]["day"] == "2024-06-01"
    j = json.loads(client.get("/rootinfo/export?from=2024-06-01&to=2024-06-02&format=json").content)
    assert j["tlp"] == "TLP:CLEAR"
    assert {d["letter"] for d in j["days"]} == set("abcdefghijklm")
    assert (
        client.get("/rootinfo/export?from=2024-06-01&to=2024-06-02&format=xml").status_code == 400
    )


def test_a_root_operators_member_enters_the_space_and_other_members_do_not(
    loaded: IngestRun, world: Any
) -> None:
    from django.test import Client

    isc = Organization.objects.create(
        name="Internet Systems Consortium, Inc.",
        slug="isc",
        kind=Organization.ROOT_SERVER_OPERATOR,
        region="NA",
    )
    member = create_user(
        "f_root", role="operator", organization=isc, password="x" * 20, check_password=False
    )
    client = Client()
    client.force_login(member)
    home = client.get("/")
    assert b'href="/rootinfo/"' in home.content
    assert client.get("/rootinfo/").status_code == 200
    assert client.get("/rootinfo/letter/f/").status_code == 200
    assert client.get("/rootinfo/ingest/").status_code == 403  # ingestion is the center's
    assert world.client("operator").get("/rootinfo/").status_code == 403
    assert b'href="/rootinfo/"' not in world.client("operator").get("/").content
