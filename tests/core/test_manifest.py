"""Slice manifests (stable bytes and checksums) and operators' outcome files."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json

import pytest

from dnscc.core.errors import InputError
from dnscc.core.manifest import CampaignMeta, ManifestRow, build_manifest, parse_outcomes

META = CampaignMeta(
    campaign_id="C-2026-007",
    title="Conficker B, April",
    organization="Example DNS-CERT",
    tlds=("ws", "COM", "cc"),
    deadline=datetime.datetime(2026, 4, 1, 12, 0, tzinfo=datetime.UTC),
    timezone="Europe/Zurich",
    default_action="block registration",
    legal_basis="Court order 42/2026",
    expires="2027-04-01",
)
ROWS = [
    ManifestRow("zrbmw.ws", tld="ws"),
    ManifestRow("Jqfgtmjl.WS."),
    ManifestRow("wytetvzvfb.com", action="sinkhole", expires=datetime.date(2026, 12, 31)),
]


def test_the_csv_has_sorted_rows_and_fixed_columns() -> None:
    manifest = build_manifest(META, ROWS)
    assert manifest.csv.decode().splitlines() == [
        "name,tld,action,legal_basis,expires",
        "jqfgtmjl.ws,ws,block registration,Court order 42/2026,2027-04-01",
        "wytetvzvfb.com,com,sinkhole,Court order 42/2026,2026-12-31",
        "zrbmw.ws,ws,block registration,Court order 42/2026,2027-04-01",
    ]


def test_the_checksums_do_not_depend_on_row_order() -> None:
    one = build_manifest(META, ROWS)
    two = build_manifest(META, list(reversed(ROWS)))
    assert one.csv == two.csv
    assert one.json == two.json
    assert one.csv_sha256 == two.csv_sha256 == hashlib.sha256(one.csv).hexdigest()
    assert one.json_sha256 == hashlib.sha256(one.json).hexdigest()


def test_the_json_shows_the_deadline_in_utc_and_local_time() -> None:
    document = json.loads(build_manifest(META, ROWS).json)
    campaign = document["campaign"]
    assert campaign["deadline_utc"] == "2026-04-01T12:00:00Z"
    assert campaign["deadline_local"] == "2026-04-01T14:00:00+02:00"
    assert campaign["tlds"] == ["cc", "com", "ws"]
    assert list(document["rows"][0]) == ["name", "tld", "action", "legal_basis", "expires"]


def test_the_digest_counts_rows_tlds_and_actions() -> None:
    digest = build_manifest(META, ROWS).digest
    assert digest.rows == 3
    assert digest.tlds == ("com", "ws")
    assert digest.by_action == (("block registration", 2), ("sinkhole", 1))


def test_a_duplicate_name_or_a_wrong_tld_is_refused() -> None:
    with pytest.raises(InputError, match="twice"):
        build_manifest(META, [ManifestRow("a.ws"), ManifestRow("A.WS.")])
    with pytest.raises(InputError, match="not under the TLD"):
        build_manifest(META, [ManifestRow("a.ws", tld="com")])


def test_a_naive_deadline_is_refused() -> None:
    meta = CampaignMeta(**{**META.__dict__, "deadline": datetime.datetime(2026, 4, 1)})
    with pytest.raises(InputError, match="timezone"):
        build_manifest(meta, ROWS)


def test_free_text_that_a_spreadsheet_would_run_is_defused() -> None:
    manifest = build_manifest(META, [ManifestRow("a.ws", legal_basis="=HYPERLINK(1)")])
    assert ",'=HYPERLINK(1)," in manifest.csv.decode()


SLICE = {"jqfgtmjl.ws", "zrbmw.ws", "xn--bcher-kva.ws"}


def _outcomes(text: str, allowed: set[str] | None = SLICE):
    return parse_outcomes(io.BytesIO(text.encode()), filename="outcomes.csv", allowed=allowed)


def test_an_outcome_file_is_read_with_notes_and_forgiving_spelling() -> None:
    report = _outcomes(
        "name,outcome,note\n"
        "JQFGTMJL.ws.,Done,blocked 09:00\n"
        "zrbmw.ws,Not registered,\n"
        "bücher.ws,pending\n"
    )
    assert [(o.name, o.outcome, o.note, o.line) for o in report.outcomes] == [
        ("jqfgtmjl.ws", "done", "blocked 09:00", 2),
        ("zrbmw.ws", "not_registered", "", 3),
        ("xn--bcher-kva.ws", "pending", "", 4),
    ]
    assert report.errors == []
    assert report.by_outcome() == {"done": 1, "not_registered": 1, "refused": 0, "pending": 1}


def test_an_outcome_for_a_name_outside_the_slice_is_rejected_with_its_line() -> None:
    report = _outcomes("jqfgtmjl.ws,done\nother.com,done\n")
    assert [o.name for o in report.outcomes] == ["jqfgtmjl.ws"]
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.location.line == 2
    assert "not in your slice" in str(error)


def test_bad_outcome_lines_are_reported_with_their_line_numbers() -> None:
    report = _outcomes(
        "jqfgtmjl.ws,done\nzrbmw.ws,maybe\nbad..name,done\nlonely.ws\njqfgtmjl.ws,refused\n"
    )
    assert [(e.location.line, e.location.field) for e in report.errors] == [
        (2, "outcome"),
        (3, "name"),
        (4, None),
        (5, "name"),
    ]
    assert "already given on line 1" in str(report.errors[3])
    assert report.error_count == 4


def test_a_header_may_put_the_columns_in_any_order() -> None:
    report = _outcomes("note,outcome,name\nno legal basis,refused,zrbmw.ws\n")
    assert [(o.name, o.outcome, o.note) for o in report.outcomes] == [
        ("zrbmw.ws", "refused", "no legal basis")
    ]


def test_a_gzipped_outcome_file_is_read_and_any_name_allowed_without_a_slice() -> None:
    data = gzip.compress(b"any.example,done\n")
    report = parse_outcomes(io.BytesIO(data), filename="o.csv.gz", allowed=None)
    assert [o.name for o in report.outcomes] == ["any.example"]


def test_an_outcome_file_over_the_limit_is_refused() -> None:
    with pytest.raises(InputError, match="limit of 64 bytes"):
        parse_outcomes(io.BytesIO(b"a.ws,done\n" * 10), filename="o", allowed=None, max_bytes=64)


def test_a_lone_carriage_return_is_reported_as_an_error_of_its_line() -> None:
    data = b'a.alpha,done\nb.alpha,done,"x"\ry\nc.alpha,done\n'
    report = parse_outcomes(io.BytesIO(data), filename="out.csv", allowed=None)
    assert [o.name for o in report.outcomes] == ["a.alpha", "c.alpha"]
    assert [e.location.line for e in report.errors] == [2]
    assert "not valid CSV" in report.errors[0].problem
