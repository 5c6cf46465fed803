"""Partner feeds obey the center's one egress rule (dnscc.core.egress, DNSCC_PROBE_NETWORKS):
a feed outside the allowed networks is refused when added and at every poll, before any
connection, and the reason is kept on the feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnscc.core import egress
from dnscc.sharing import fetch
from dnscc.sharing.models import FeedSource
from tests.sharing.helpers import serve_directory, staff

ELSEWHERE = egress.parse("192.0.2.0/24")  # a rule that does not allow loopback


def _feed(directory: Path) -> None:
    (directory / "manifest.json").write_text(json.dumps({}))


def test_a_feed_outside_the_egress_rule_is_refused_when_added(world: Any, tmp_path: Path) -> None:
    viewer, actor = staff(world)
    _feed(tmp_path)
    with (
        serve_directory(tmp_path) as url,
        egress.using(ELSEWHERE),
        pytest.raises(egress.EgressRefused) as refused,
    ):
        fetch.add_source(viewer, actor, name="Partner", kind="misp", url=url)
    assert "partner feed poll to 127.0.0.1 refused" in refused.value.message
    assert "DNSCC_PROBE_NETWORKS=192.0.2.0/24" in refused.value.message
    assert refused.value.exit_code == 77
    assert not FeedSource.objects.exists()


def test_a_poll_outside_the_egress_rule_sends_nothing_and_says_why(
    world: Any, tmp_path: Path
) -> None:
    viewer, actor = staff(world)
    _feed(tmp_path)
    requests: list[str] = []
    with serve_directory(tmp_path, log=requests) as url:
        source = fetch.add_source(viewer, actor, name="Partner", kind="misp", url=url)
        assert fetch.poll(source) == []  # allowed: loopback in tests
        assert requests == ["/manifest.json"]
        with egress.using(ELSEWHERE), pytest.raises(egress.EgressRefused):
            fetch.poll(source)
    assert requests == ["/manifest.json"]  # the refused poll never connected
    source.refresh_from_db()
    assert source.last_error.startswith("partner feed poll to 127.0.0.1 refused")


def test_a_name_that_resolves_outside_the_rule_is_refused(world: Any) -> None:
    viewer, actor = staff(world)
    with egress.using(egress.parse("public")), pytest.raises(egress.EgressRefused):
        fetch.add_source(viewer, actor, name="Local", kind="taxii", url="http://localhost:9/c/")
    assert not FeedSource.objects.exists()


def test_a_feed_url_that_is_not_http_is_refused(world: Any) -> None:
    from dnscc.core.errors import InputError

    viewer, actor = staff(world)
    with pytest.raises(InputError, match="not an http"):
        fetch.add_source(viewer, actor, name="File", kind="misp", url="file:///etc/passwd")
