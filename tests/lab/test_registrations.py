"""Registered names in the lab's TLDs: register, unregister, sinkhole, seen on the wire at
every server of the TLD, kept across zone rewrites, and still DNSSEC-valid.

The lab is shared by the session: every test uses names of its own (a random tag) and
unregisters them in a `with` block or a `finally`.
"""

from __future__ import annotations

import time
import uuid

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from dnscc.cli import main
from dnscc.core.errors import ConflictError, InputError, NotFoundError
from dnscc.lab.pytest_plugin import LAB_SLDS, LAB_TLDS, LabHandle

pytestmark = pytest.mark.lab

SINK = ["sink1.sinkhole.example.", "sink2.sinkhole.example."]


@pytest.fixture
def tag() -> str:
    return "reg-" + uuid.uuid4().hex[:8]


def delegation(lab: LabHandle, name: str, server: str) -> set[str] | None:
    """The NS set `server` refers `name` to; None when it says the name does not exist."""
    r = lab.query(name, "NS", server=server, dnssec=False)
    if r.rcode() == dns.rcode.NXDOMAIN:
        assert r.flags & dns.flags.AA
        return None
    assert r.rcode() == dns.rcode.NOERROR
    assert not r.flags & dns.flags.AA  # a referral
    ns = {
        rd.target.to_text()
        for rrset in r.authority
        if rrset.rdtype == dns.rdatatype.NS and rrset.name.to_text() == name
        for rd in rrset
    }
    assert ns, r
    return ns


def everywhere(lab: LabHandle, tld: str, name: str) -> list[set[str] | None]:
    return [delegation(lab, name, a) for a in lab.tld_servers(tld).values()]


def test_registered_names_are_delegated_at_every_server_of_the_tld(
    lab: LabHandle, tag: str
) -> None:
    names = [f"{tag}-{i}.nl." for i in range(3)]
    with lab.registered("nl", names):
        for name in names:
            assert everywhere(lab, "nl", name) == [{"ns1.example.nl.", "ns2.example.nl."}] * len(
                lab.tld_servers("nl")
            )
        assert lab.lab.registrations("nl")[names[0]] == ["ns1.example.nl.", "ns2.example.nl."]
    for name in names:
        assert everywhere(lab, "nl", name) == [None] * len(lab.tld_servers("nl"))
    assert names[0] not in lab.lab.registrations("nl")


def test_register_unregister_and_sinkhole_are_idempotent(lab: LabHandle, tag: str) -> None:
    names = [f"{tag}-a.se", f"{tag}-b.SE."]
    try:
        assert lab.register("se", names, ns=["NS1.Host.example"]) == 2
        assert lab.register("se", names, ns=["ns1.host.example."]) == 0
        assert delegation(lab, f"{tag}-b.se.", lab.lab.plan().hosts["a.ns.se."]) == {
            "ns1.host.example."
        }
        assert lab.sinkhole("se", names[:1], SINK) == 1
        assert lab.sinkhole("se", names[:1], SINK) == 0
        assert everywhere(lab, "se", f"{tag}-a.se.") == [set(SINK)] * len(lab.tld_servers("se"))
        assert lab.unregister("se", names) == 2
        assert lab.unregister("se", names) == 0
        assert everywhere(lab, "se", f"{tag}-a.se.") == [None] * len(lab.tld_servers("se"))
    finally:
        lab.unregister("se", names)


def test_each_name_may_get_its_own_ns_set(lab: LabHandle, tag: str) -> None:
    names = {f"{tag}-x.dk": ["ns.one.example"], f"{tag}-y.dk": ["ns.two.example"]}
    server = next(iter(lab.tld_servers("dk").values()))
    try:
        assert lab.register("dk", names) == 2
        assert delegation(lab, f"{tag}-x.dk.", server) == {"ns.one.example."}
        assert delegation(lab, f"{tag}-y.dk.", server) == {"ns.two.example."}
    finally:
        lab.unregister("dk", names)


def test_registrations_survive_a_fault_that_rewrites_the_zone_and_up(
    lab: LabHandle, tag: str
) -> None:
    server = next(iter(lab.tld_servers("se").values()))
    with lab.registered("se", [f"{tag}.se"]):
        with lab.fault("ns-mismatch", tld="se"):
            assert delegation(lab, f"{tag}.se.", server) == {"ns1.example.se.", "ns2.example.se."}
        assert delegation(lab, f"{tag}.se.", server) == {"ns1.example.se.", "ns2.example.se."}
        lab.lab.up(tlds=LAB_TLDS, slds=LAB_SLDS)
        assert delegation(lab, f"{tag}.se.", server) == {"ns1.example.se.", "ns2.example.se."}
    assert delegation(lab, f"{tag}.se.", server) is None


def test_the_tld_stays_dnssec_valid_after_registrations_change(lab: LabHandle, tag: str) -> None:
    # Knot re-signs the changed zone: a validating resolver proves the registered name has
    # no DS (an insecure delegation) and the removed one does not exist, both with AD.
    with lab.registered("ch", [f"{tag}-kept.ch", f"{tag}-gone.ch"]):
        lab.unregister("ch", [f"{tag}-gone.ch"])
        deadline = time.monotonic() + 5
        while True:
            ds = lab.query(f"{tag}-kept.ch.", "DS")
            gone = lab.query(f"{tag}-gone.ch.", "DS")
            if ds.rcode() == dns.rcode.NOERROR or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert ds.rcode() == dns.rcode.NOERROR
        assert not ds.answer
        assert ds.flags & dns.flags.AD
        assert gone.rcode() == dns.rcode.NXDOMAIN
        assert gone.flags & dns.flags.AD
    assert lab.healthy("ch")


def test_bad_input_is_refused_with_the_fix(lab: LabHandle, tag: str) -> None:
    with pytest.raises(NotFoundError) as nf:
        lab.register("nope", [f"{tag}.nope"])
    assert "not in this lab" in nf.value.message
    with pytest.raises(InputError):
        lab.register("nl", [f"{tag}.se"])
    with pytest.raises(InputError):
        lab.register("nl", ["nl"])
    with pytest.raises(InputError):
        lab.register("nl", ["bad name.nl"])
    with pytest.raises(InputError):
        lab.sinkhole("nl", [f"{tag}.nl"], [])
    with pytest.raises(ConflictError):
        lab.register("nl", [lab.sld_zones("nl")[0]])  # the lab's own zone
    with pytest.raises(ConflictError):
        lab.register("nl", ["www.nic.nl"])
    assert f"{tag}.nl." not in lab.lab.registrations("nl")


def test_a_name_nested_in_a_registered_one_is_refused(lab: LabHandle, tag: str) -> None:
    with lab.registered("dk", [f"{tag}.dk"]), pytest.raises(ConflictError):
        lab.register("dk", [f"sub.{tag}.dk"])
    with lab.registered("dk", [f"sub.{tag}.dk"]), pytest.raises(ConflictError):
        lab.register("dk", [f"{tag}.dk"])


def test_the_command_line_registers_and_unregisters(
    lab: LabHandle, tag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(lab.lab.dir)
    server = next(iter(lab.tld_servers("nl").values()))
    try:
        assert main(["lab", "--dir", d, "register", "nl", f"{tag}.nl", "--ns", "ns.a.example"]) == 0
        assert "registered 1 name(s)" in capsys.readouterr().out
        assert delegation(lab, f"{tag}.nl.", server) == {"ns.a.example."}
        assert main(["lab", "--dir", d, "sinkhole", "nl", f"{tag}.nl", "--ns", *SINK]) == 0
        assert delegation(lab, f"{tag}.nl.", server) == set(SINK)
        assert main(["lab", "--dir", d, "unregister", "nl", f"{tag}.nl"]) == 0
        assert "unregistered 1 name(s)" in capsys.readouterr().out
        assert delegation(lab, f"{tag}.nl.", server) is None
        assert main(["lab", "--dir", d, "register", "nope", f"{tag}.nope"]) == 66
        assert "fix:" in capsys.readouterr().err
    finally:
        lab.unregister("nl", [f"{tag}.nl"])
