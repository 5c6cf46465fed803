"""The IANA Root Zone Database reader: the shipped snapshot, and a bad file refused whole
with line and column."""

from __future__ import annotations

import pytest

from dnscc.core.errors import ValidationErrors
from dnscc.core.ianadb import parse_iana_rootdb
from dnscc.core.paths import default_iana_rootdb

HEADER = "Domain,Type,TLD Manager,RDAP URLs,DNSSEC,Search\n"


def test_the_shipped_snapshot_reads_1592_rows_with_751_managers() -> None:
    rows = parse_iana_rootdb(default_iana_rootdb().read_text(encoding="utf-8"))
    assert len(rows) == 1592
    assigned = [r for r in rows if r.assigned]
    assert len(assigned) == 1439
    assert len({r.manager for r in assigned}) == 751
    ng = next(r for r in rows if r.name == "ng")
    assert (ng.type, ng.manager, ng.dnssec) == (
        "country-code",
        "Nigeria Internet Registration Association",
        False,
    )


def test_idn_tlds_become_a_labels_without_their_bidirectional_marks() -> None:
    text = HEADER + "\u200f.\u05e7\u05d5\u05dd\u200e,generic,Example Ltd,,Yes,Yes\n"
    [row] = parse_iana_rootdb(text)
    assert row.name == "xn--9dbq2a"


def test_several_rdap_urls_are_kept() -> None:
    text = HEADER + ".ex,generic,Ex,https://a.example/ https://b.example/,Yes,Yes\n"
    assert parse_iana_rootdb(text)[0].rdap_urls == ("https://a.example/", "https://b.example/")


def test_not_assigned_means_no_manager() -> None:
    [row] = parse_iana_rootdb(HEADER + ".gone,generic,Not assigned,,No,Yes\n")
    assert row.manager is None
    assert not row.assigned


def test_unknown_types_and_duplicates_are_named_with_line_and_column() -> None:
    text = (
        HEADER
        + ".alpha,generic,Alpha Inc,,Yes,Yes\n"
        + ".bravo,brand,Bravo Inc,,Yes,Yes\n"
        + ".ALPHA,generic,Alpha Inc,,Yes,Yes\n"
        + ".charlie,generic,Charlie Inc,,Maybe,Yes\n"
        + ".delta,generic,Delta Inc,ftp://x/,Yes,Yes\n"
        + "delta..,generic,Delta Inc,,Yes,Yes\n"
    )
    with pytest.raises(ValidationErrors) as caught:
        parse_iana_rootdb(text, source="db.csv")
    found = [(e.location.line, e.location.field, e.problem) for e in caught.value.errors]
    assert found[0] == (3, "Type", "'brand' is not an IANA TLD type")
    assert found[1] == (4, "Domain", ".ALPHA is listed twice (first on line 2)")
    assert found[2] == (5, "DNSSEC", "'Maybe' is not Yes or No")
    assert found[3] == (6, "RDAP URLs", "'ftp://x/' is not an http(s) URL")
    assert found[4][:2] == (7, "Domain")
    assert all(e.location.file == "db.csv" for e in caught.value.errors)
    assert caught.value.exit_code == 65


def test_a_file_with_another_header_is_refused() -> None:
    with pytest.raises(ValidationErrors, match="the header is 'tld,manager'"):
        parse_iana_rootdb("tld,manager\n.a,b\n")
