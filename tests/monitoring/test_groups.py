"""Alerts of one cause form one group: the same check in one sweep, on the same server or
of the same operator; groups are listed worst first, then the oldest, and a group can be
acknowledged at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dnscc.monitoring.groups import cluster, group_alerts
from dnscc.monitoring.models import Alert
from tests.conftest import World
from tests.web.seed import Found, ZoneResult, lame, sweep


def test_alerts_on_one_server_group_even_across_operators() -> None:
    keys = [(1, "DELEGATION04", "ns.x", 10), (1, "DELEGATION04", "ns.x", 11)]
    assert cluster(keys) == [[0, 1]]


def test_alerts_of_one_operator_group_even_across_servers() -> None:
    keys = [(1, "DELEGATION04", "ns1.a", 10), (1, "DELEGATION04", "ns2.a", 10)]
    assert cluster(keys) == [[0, 1]]


def test_a_shared_server_and_a_shared_operator_join_three_alerts_into_one_group() -> None:
    keys = [(1, "C", "ns.x", 10), (1, "C", "ns.x", 11), (1, "C", "ns.y", 11)]
    assert cluster(keys) == [[0, 1, 2]]


@pytest.mark.parametrize(
    "other",
    [
        (2, "DELEGATION04", "ns.x", 10),
        (1, "CONSISTENCY01", "ns.x", 10),
        (1, "DELEGATION04", "", ""),
    ],
    ids=["another sweep", "another check", "no server and no operator"],
)
def test_alerts_of_another_sweep_or_check_stay_apart(other: tuple) -> None:
    assert cluster([(1, "DELEGATION04", "ns.x", 10), other]) == [[0], [1]]


def _lame_on(world: World, count: int) -> None:
    """One shared lame server on `count` TLDs of different operators, and a critical
    hijack of .alpha, all in one sweep."""
    from dnscc.directory.models import Organization, Tld

    results = [ZoneResult("alpha", (lame("alpha"), Found("DNSCC_HIJACK", "critical", "NS")))]
    for i in range(count - 1):
        org = Organization.objects.create(name=f"Registry {i}", slug=f"registry-{i}")
        Tld.objects.create(name=f"t{i}", kind=Tld.GTLD, operator=org, ns=["ns.shared.example"])
        results.append(ZoneResult(f"t{i}", (lame(f"t{i}"),)))
    sweep(results)


def test_eighteen_alerts_of_one_lame_server_are_one_group_below_the_critical_one(
    world: World,
) -> None:
    _lame_on(world, 18)
    groups = group_alerts(Alert.objects.select_related("finding", "organization"))
    assert [g.count for g in groups] == [1, 18]
    hijack, lame_group = groups
    assert hijack.severity == "critical"
    assert lame_group.title == "DELEGATION04 on 18 TLDs served by ns.shared.example"
    assert lame_group.zones[:3] == [".alpha", ".t0", ".t1"]


def test_within_one_severity_the_oldest_group_comes_first(world: World) -> None:
    sweep([ZoneResult("alpha", (lame("alpha"),))])
    sweep([ZoneResult("bravo", (lame("bravo", server="ns.other.example"),))])
    Alert.objects.filter(finding__zone="bravo").update(
        opened_at=timezone.now() - timedelta(hours=3)
    )
    groups = group_alerts(Alert.objects.select_related("finding", "organization"))
    assert [g.zones for g in groups] == [[".bravo"], [".alpha"]]


def test_the_alerts_page_shows_one_group_and_acknowledges_it_at_once(world: World) -> None:
    _lame_on(world, 5)
    client = world.client("coordinator")
    page = client.get("/health/alerts/?desk=all").content.decode()
    assert "DELEGATION04 on 5 TLDs served by ns.shared.example" in page
    assert page.index("DNSCC_HIJACK") < page.index("DELEGATION04 on 5 TLDs")
    ids = list(Alert.objects.filter(finding__code="DELEGATION04").values_list("pk", flat=True))
    response = client.post(
        "/health/alerts/acknowledge", {"ids": ",".join(map(str, ids)), "next": "/health/alerts/"}
    )
    assert response.status_code == 302
    states = set(Alert.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states == {Alert.ACKNOWLEDGED}
    assert Alert.objects.get(finding__code="DNSCC_HIJACK").state == Alert.OPEN


def test_ticked_alerts_are_acknowledged_and_the_others_stay_open(world: World) -> None:
    _lame_on(world, 3)
    first, *others = Alert.objects.filter(finding__code="DELEGATION04").order_by("pk")
    world.client("coordinator").post("/health/alerts/acknowledge", {"alert": [first.pk]})
    first.refresh_from_db()
    assert first.state == Alert.ACKNOWLEDGED
    assert all(Alert.objects.get(pk=o.pk).state == Alert.OPEN for o in others)


def test_acknowledging_nothing_says_so(world: World) -> None:
    response = world.client("coordinator").post("/health/alerts/acknowledge", {}, follow=True)
    assert "Tick the alerts to acknowledge first." in response.content.decode()


def test_the_api_lists_groups_and_acknowledges_a_group(world: World) -> None:
    _lame_on(world, 4)
    api = world.api("coordinator")
    groups = api.get("/api/v1/monitoring/alert-groups").json()
    assert [g["count"] for g in groups] == [1, 4]
    answer = api.post(
        "/api/v1/monitoring/alerts/acknowledge",
        data={"alerts": groups[1]["alerts"]},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert {a["state"] for a in answer.json()} == {"acknowledged"}
    assert len(answer.json()) == 4


def test_a_title_with_html_is_escaped_on_the_alerts_page(world: World) -> None:
    sweep([ZoneResult("alpha", (Found("X01", "error", "<script>alert(1)</script>", "ns.a"),))])
    page = world.client("coordinator").get("/health/alerts/?desk=all").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def _cli(*argv: str) -> tuple[int, str]:
    import contextlib
    import io

    from dnscc import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(argv))
    return code, out.getvalue()


def test_the_command_line_lists_groups_acknowledges_one_and_opens_an_incident(
    world: World,
) -> None:
    import json

    _lame_on(world, 3)
    code, out = _cli("monitor", "alerts", "--json")
    assert code == 0
    groups = json.loads(out)
    assert [g["count"] for g in groups] == [1, 3]
    lame_ids = [str(i) for i in groups[1]["alerts"]]
    code, out = _cli("monitor", "ack", *lame_ids, "--as", "coord1")
    assert (code, out.strip()) == (0, "3 alert(s) acknowledged")
    code, out = _cli("incident", "from-alerts", *lame_ids, "--as", "coord1", "--json")
    assert code == 0
    assert json.loads(out)["title"] == "DELEGATION04 on 3 TLDs served by ns.shared.example"
    code, out = _cli("monitor", "alerts")
    assert "-> DNSCC-" in out
