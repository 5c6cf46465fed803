"""`dnscc import rootzone` imports only what checks out: ZONEMD, the NSEC chain, the serial,
the share of delegations removed. A refusal names the check, the line and what to do, exits
65, and leaves the directory as it was."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from dnscc import cli
from dnscc.core.paths import default_root_zone
from dnscc.directory.models import Organization, RootZoneLoad, Tld
from dnscc.directory.rootzone_import import RootZoneRefused, import_root_zone, serial_older
from tests.zonefactory import replace_line, signed_root, trust_anchor

pytestmark = pytest.mark.django_db


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["import", "rootzone", *argv])
    return code, out.getvalue(), err.getvalue()


def _state() -> tuple[object, ...]:
    return (
        sorted(Tld.objects.values_list("name", "delegated", "operator_id", "ns")),
        Organization.objects.count(),
        RootZoneLoad.objects.count(),
    )


@pytest.fixture(scope="module")
def good() -> str:
    return signed_root()


def _refusal(text: str, **kwargs: object) -> RootZoneRefused:
    with pytest.raises(RootZoneRefused) as caught:
        import_root_zone(text, name="copy.zone", **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_the_truncated_real_zone_is_refused_with_exit_65_and_allow_shrink_imports_it(
    tmp_path: Path,
) -> None:
    """The issue's command: `head -n 11047 root.zone > t.zone; dnscc import rootzone t.zone`."""
    assert run(str(default_root_zone()))[0] == 0
    lines = default_root_zone().read_text(encoding="utf-8").splitlines(keepends=True)
    cut = tmp_path / "t.zone"
    cut.write_text("".join(lines[:11047]), encoding="utf-8")
    before = _state()

    code, out, err = run(str(cut))

    assert code == 65
    assert _state() == before
    assert "field 'NSEC': names are missing: the NSEC record of london. names lotte." in err
    assert "line 11043" in err
    assert "field 'delegations': the import would undelegate 740 of 1438 TLDs (51%)" in err
    assert "--allow-shrink" in err
    assert "Traceback" not in err

    code, out, err = run(str(cut), "--allow-shrink", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert len(report["undelegated"]) == 740
    assert Tld.objects.filter(delegated=True).count() == 698


def test_the_shipped_snapshot_imports_with_an_honest_note(tmp_path: Path) -> None:
    code, out, _err = run(str(default_root_zone()))
    assert code == 0
    assert "snapshot, digest not verifiable" in out
    assert "NSEC: complete (1439 links)" in out
    load = RootZoneLoad.objects.get()
    assert (load.serial, load.digest, load.chain) == (2026082201, "unverifiable", "complete")
    assert load.notes == ["snapshot, digest not verifiable"]
    # The same zone again adds nothing to the record of loads.
    assert run(str(default_root_zone()))[0] == 0
    assert RootZoneLoad.objects.count() == 1


def test_a_signed_copy_whose_zonemd_verifies_is_recorded_as_verified(good: str) -> None:
    report = import_root_zone(good, name="good.zone", fetched=True, anchors=trust_anchor())
    assert report.notes == []
    assert report.checks["ZONEMD"].startswith("ZONEMD verified")
    assert report.checks["DNSSEC"].startswith("the DNSKEY, SOA and ZONEMD sets validate")
    load = RootZoneLoad.objects.get()
    assert (load.digest, load.chain) == ("verified", "complete")


def test_a_copy_with_a_bad_zonemd_is_refused_naming_the_record(good: str) -> None:
    bad = replace_line(good, r"^ns1\.nic\.bravo\. .* A ", "ns1.nic.bravo. 172800 IN A 192.0.2.66")
    refused = _refusal(bad)
    [error] = refused.errors
    assert error.location.field == "ZONEMD"
    assert error.location.line == next(
        i for i, line in enumerate(bad.splitlines(), 1) if " IN ZONEMD " in line
    )
    assert "does not match the zone's content" in error.problem
    assert refused.exit_code == 65
    assert _state() == ([], 0, 0)


def test_a_fetched_copy_without_zonemd_is_refused(good: str) -> None:
    bare = replace_line(good, r"^\. .* IN ZONEMD ", "")
    [error] = _refusal(bare, fetched=True).errors
    assert (error.location.field, error.problem) == (
        "ZONEMD",
        "the zone has no ZONEMD record: a copy of the root zone carries one",
    )
    # A file without one imports, saying its content was not checked.
    report = import_root_zone(bare, name="bare.zone")
    assert report.notes == ["no ZONEMD: the content is not checked"]


def test_a_broken_nsec_chain_is_refused_even_with_allow_shrink(good: str) -> None:
    bad = good.replace("bravo. 86400 IN NSEC charlie.", "bravo. 86400 IN NSEC delta.")
    errors = _refusal(bad, allow_shrink=True).errors
    chain = [e for e in errors if e.location.field == "NSEC"]
    assert len(chain) == 1
    assert "the NSEC chain is broken" in chain[0].problem
    assert bad.splitlines()[chain[0].location.line - 1].startswith("bravo. 86400 IN NSEC")  # type: ignore[operator]


def test_a_serial_older_than_the_loaded_one_is_refused(good: str) -> None:
    import_root_zone(good, name="new.zone")
    older = signed_root(serial=2026120201)
    errors = _refusal(older).errors
    assert [(e.location.field, e.problem) for e in errors] == [
        ("SOA serial", "the SOA serial 2026120201 is older than the loaded zone's 2026120301")
    ]


def test_serials_compare_in_rfc_1982_arithmetic() -> None:
    assert serial_older(1, 2)
    assert not serial_older(2, 1)
    assert not serial_older(5, 5)
    assert serial_older(2**32 - 10, 5)  # the newer one wrapped around
    assert not serial_older(5, 2**32 - 10)


def test_a_fetched_copy_signed_by_another_key_is_refused(good: str) -> None:
    from dnscc.core.paths import shipped
    from dnscc.probe.zone import read_trust_anchor

    iana = read_trust_anchor(str(shipped("root-anchors.ds")))
    errors = _refusal(good, fetched=True, anchors=iana).errors
    assert [e.location.field for e in errors] == ["DNSSEC"]
    assert "matches the trust anchor" in errors[0].problem
