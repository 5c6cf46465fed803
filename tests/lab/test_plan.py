"""The lab's plan, without servers: root zone reading, addresses, instances."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnscc.core.errors import InputError, UnavailableError
from dnscc.core.paths import default_root_zone
from dnscc.lab import procs
from dnscc.lab.faults import FAULTS
from dnscc.lab.plan import RootData, choose_tlds, make_plan, read_root_zone

MINI = """\
.  86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
.  518400 IN NS a.root-servers.net.
.  518400 IN NS b.root-servers.net.
alpha. 172800 IN NS ns1.nic.alpha.
alpha. 172800 IN NS ns2.nic.alpha.
bravo. 172800 IN NS ns1.nic.alpha.
charlie. 172800 IN NS a.dns.charlie.
ns1.nic.alpha. 172800 IN A 192.0.2.1
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "root.zone"
    p.write_text(text)
    return p


def test_a_root_zone_is_read_into_delegations(tmp_path: Path) -> None:
    root = read_root_zone(write(tmp_path, MINI))
    assert root.apex_ns == ("a.root-servers.net.", "b.root-servers.net.")
    assert root.delegations["alpha"] == ("ns1.nic.alpha.", "ns2.nic.alpha.")
    assert set(root.delegations) == {"alpha", "bravo", "charlie"}


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("alpha. 17x2800 IN NS ns1.nic.alpha.", "ttl"),
        ("alpha. 172800 CH NS ns1.nic.alpha.", "class"),
        ("alpha. 172800 IN A 999.1.1.1", "rdata"),
        ("alpha. 172800 IN NS", None),
    ],
)
def test_a_corrupt_root_zone_is_refused_with_its_line(
    tmp_path: Path, line: str, field: str | None
) -> None:
    with pytest.raises(InputError) as exc:
        read_root_zone(write(tmp_path, MINI + line + "\n"))
    assert exc.value.location.line == MINI.count("\n") + 1
    assert exc.value.location.field == field
    assert exc.value.hint


def test_a_file_that_is_not_a_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no SOA"):
        read_root_zone(write(tmp_path, "; an empty zone\n\n"))


def test_a_missing_root_zone_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as exc:
        read_root_zone(tmp_path / "nope.zone")
    assert "--root-zone" in (exc.value.hint or "")


def test_tlds_that_share_a_server_are_on_one_instance_and_no_instance_serves_parent_and_child(
    tmp_path: Path,
) -> None:
    root = read_root_zone(write(tmp_path, MINI))
    plan = make_plan(root, choose_tlds(root, None), block=99, port=53, slds=2, tld_instances=2)
    alpha, bravo = plan.instance_of_zone("alpha."), plan.instance_of_zone("bravo.")
    assert alpha.name == bravo.name
    for inst in plan.instances.values():
        depths = {0 if z == "." else z.count(".") for z in inst.zones}
        assert len(depths) == 1, f"{inst.name} serves zones at several levels: {inst.zones}"
    every = [a for i in plan.instances.values() for a in i.addresses]
    assert len(every) == len(set(every)), "an address is served by two instances"
    assert all(a.startswith("127.99.") for a in every)
    assert plan.hosts["ns1.nic.alpha."] != plan.hosts["ns2.nic.alpha."]


def test_the_full_root_keeps_every_tld_and_only_loopback_addresses() -> None:
    path = default_root_zone()
    if not path.exists():
        pytest.skip(f"shipped root zone not present at {path}")
    root = read_root_zone(path)
    assert len(root.delegations) == 1438
    plan = make_plan(root, choose_tlds(root, None), block=50, port=53, slds=2)
    assert len(plan.tlds) == 1438
    assert all(a.startswith("127.50.") for a in plan.hosts.values())
    assert {len(ns) for ns in plan.tlds.values()} == {len(v) for v in root.delegations.values()}


def test_choosing_a_few_tlds_prefers_the_ones_with_their_own_servers() -> None:
    root = RootData(("a.root-servers.net.",), {t: (f"ns.{t}.",) for t in ["aaa", "nl", "se"]})
    assert choose_tlds(root, 2) == ["nl", "se"]


def test_a_missing_program_is_reported_with_the_package_to_install() -> None:
    with pytest.raises(UnavailableError) as exc:
        procs.require("knotd", "no-such-dns-server-xyz")
    assert "no-such-dns-server-xyz" in str(exc.value)
    assert "apt-get install knot" in (exc.value.hint or "")


def test_every_fault_is_documented() -> None:
    for f in FAULTS.values():
        assert all((f.summary, f.how, f.wire, f.zonemaster)), f.name
    assert len(FAULTS) == 16
