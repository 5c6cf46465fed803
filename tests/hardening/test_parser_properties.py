"""Property tests (hypothesis) on every parser of outside input: whatever the bytes, each
returns its result or refuses with an InputError (exit 65, HTTP 4xx), never another
exception (a 500, exit 70). Zone files, name lists, contact CSV/JSON, outcome files,
OpenPGP keys, inbound mail bodies, delivery status notifications, CSAF documents."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnscc.core.errors import DnsccError, InputError

FAST = settings(
    max_examples=int(os.environ.get("PROPS", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

# Text that looks like the formats, mixed with noise, so the parsers get past their first line.
ZONE_LINES = st.sampled_from(
    [
        ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com."
        " 2026010101 1800 900 604800 86400",
        "alpha. 172800 IN NS ns1.nic.alpha.",
        "ns1.nic.alpha. 172800 IN A 192.0.2.1",
        "ns1.nic.alpha. 172800 IN AAAA 2001:db8::1",
        "alpha. 86400 IN DS 12345 8 2 " + "ab" * 32,
        "$ORIGIN .",
        "; comment",
        "",
    ]
)
NOISE = st.text(max_size=60)
LINES = st.lists(st.one_of(ZONE_LINES, NOISE), max_size=15)
NAMES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "example.com",
                "bücher.de",
                "xn--bcher-kva.de",
                "name,outcome,note",
                "a.example,done,ok",
                "#x",
                "-x.example",
                "a..b",
            ]
        ),
        NOISE,
    ),
    max_size=15,
)
BYTES = st.binary(max_size=400)


def _refused_or_ok(call: Any) -> Any:
    try:
        return call()
    except InputError:
        return None
    except DnsccError:
        return None


@FAST
@given(LINES)
def test_a_root_zone_is_parsed_or_refused_as_input(lines: list[str]) -> None:
    from dnscc.core.rootzone import parse_root_zone

    _refused_or_ok(lambda: parse_root_zone("\n".join(lines) + "\n", source="fuzz.zone"))


@FAST
@given(st.one_of(NAMES.map(lambda x: "\n".join(x).encode()), BYTES))
def test_a_name_list_is_read_or_refused_as_input(data: bytes) -> None:
    from dnscc.core.namelist import read_names

    result = _refused_or_ok(
        lambda: read_names(io.BytesIO(data), filename="fuzz.txt", max_bytes=1 << 16)
    )
    if result is not None:
        names, summary = result
        assert len(names) == summary.valid
        assert all(name == name.lower() for name in names)


@FAST
@given(st.one_of(NAMES.map(lambda x: "\n".join(x).encode()), BYTES))
def test_an_outcome_file_is_read_or_refused_as_input(data: bytes) -> None:
    from dnscc.core.manifest import OUTCOMES, parse_outcomes

    report = _refused_or_ok(
        lambda: parse_outcomes(io.BytesIO(data), filename="o.csv", allowed=None, max_bytes=1 << 16)
    )
    if report is not None:
        assert all(item.outcome in OUTCOMES for item in report.outcomes)


@FAST
@given(st.one_of(BYTES, st.text(max_size=300)))
def test_an_openpgp_key_is_parsed_or_refused_as_input(data: bytes | str) -> None:
    from dnscc.core.openpgp import parse_public_key

    _refused_or_ok(lambda: parse_public_key(data))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=20,
)
CONTACT = st.fixed_dictionaries(
    {},
    optional={
        "organization": st.text(max_size=20),
        "name": st.text(max_size=20),
        "email": st.text(max_size=30),
        "webhook_url": st.text(max_size=30),
        "tlp": st.text(max_size=8),
        "x": JSONISH,
    },
)


@FAST
@given(st.one_of(st.lists(CONTACT, max_size=4).map(json.dumps), st.text(max_size=300)))
def test_contact_records_are_parsed_or_refused_as_input(text: str) -> None:
    from dnscc.directory.contacts_import import parse_records

    for fmt in ("json", "csv"):
        records = _refused_or_ok(lambda fmt=fmt: parse_records(text, source="c", fmt=fmt))
        if records is not None:
            assert all(isinstance(line, int) and line >= 1 for line, _ in records)


MAIL = st.builds(
    lambda ctype, body, extra: (
        f"From: a@example.org\r\nTo: reports@example.org\r\nSubject: x\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {ctype}\r\n{extra}\r\n{body}"
    ).encode("utf-8", "surrogateescape"),
    st.sampled_from(
        [
            "text/plain; charset=utf-8",
            "text/html",
            "multipart/report; report-type=delivery-status; boundary=b",
            "multipart/alternative; boundary=b",
            "text/plain; charset=nonsense",
        ]
    ),
    st.one_of(
        st.text(max_size=200),
        st.just(
            "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
            "Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
        ),
    ),
    st.sampled_from(["", "Content-Transfer-Encoding: base64\r\n", "To: bounce+ab12@x\r\n"]),
)


@FAST
@given(st.one_of(MAIL, BYTES))
def test_a_delivery_status_notification_is_read_or_ignored(raw: bytes) -> None:
    from dnscc.outreach.dsn import parse

    reports = parse(raw)
    assert isinstance(reports, list)


@FAST
@given(st.one_of(MAIL, BYTES))
def test_an_inbound_mail_body_is_read_as_text(raw: bytes) -> None:
    from dnscc.incidents.mail import body_text

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(body_text(msg), str)  # type: ignore[arg-type]


@FAST
@given(st.dictionaries(st.sampled_from(["document", "product_tree", "vulnerabilities"]), JSONISH))
def test_a_csaf_document_is_judged_without_crashing(doc: dict[str, Any]) -> None:
    from dnscc.outreach.csaf import schema_problems

    assert isinstance(schema_problems(doc), list)


STIX_OBJECT = st.one_of(
    JSONISH,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["indicator", "marking-definition", "x-custom", "report"]),
            "id": st.sampled_from(["indicator--1", "marking-definition--x", ""]) | NOISE,
        },
        optional={
            "pattern": st.sampled_from(
                [
                    "[domain-name:value = 'evil.example']",
                    "[ipv4-addr:value = '192.0.2.1'] OR [url:value = 'http://x']",
                    "[domain-name:value = '",
                ]
            )
            | NOISE,
            "object_marking_refs": st.lists(NOISE, max_size=3) | JSONISH,
            "definition": JSONISH,
            "name": NOISE,
            "x_extra": JSONISH,
        },
    ),
)
STIX_DOC = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["bundle", "report"]) | NOISE,
        "id": NOISE,
        "objects": st.lists(STIX_OBJECT, max_size=5) | JSONISH,
        "more": st.booleans(),
    },
)


@FAST
@given(
    st.one_of(STIX_DOC.map(json.dumps), st.text(max_size=200)).map(str.encode),
    st.sampled_from(["keep", "reject"]),
    st.booleans(),
)
def test_a_stix_bundle_is_read_or_refused_as_input(
    data: bytes, policy: str, envelope: bool
) -> None:
    from dnscc.core import intel

    records = _refused_or_ok(
        lambda: list(
            intel.read_stix(
                io.BytesIO(data), name="b.json", policy=policy, limit=1 << 16, envelope=envelope
            )
        )
    )
    if records is not None:
        assert all(
            isinstance(
                r, intel.Observation | intel.Marking | intel.Kept | intel.Rejected | intel.EventEnd
            )
            for r in records
        )


MISP_ATTRIBUTE = st.one_of(
    JSONISH,
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["domain", "ip-dst", "hostname", "domain|ip", "url"]) | NOISE,
            "value": st.sampled_from(["evil.example", "192.0.2.1", "a.example|192.0.2.9"]) | NOISE,
            "uuid": NOISE,
            "Tag": st.lists(st.fixed_dictionaries({"name": st.just("tlp:amber") | NOISE})),
        },
    ),
)
MISP_EVENT = st.fixed_dictionaries(
    {},
    optional={
        "uuid": NOISE | JSONISH,
        "info": NOISE,
        "distribution": st.sampled_from(["0", "1", 3, "x"]) | JSONISH,
        "Tag": st.lists(st.fixed_dictionaries({"name": st.just("tlp:red") | NOISE})) | JSONISH,
        "Attribute": st.lists(MISP_ATTRIBUTE, max_size=4) | JSONISH,
        "Object": st.lists(
            st.fixed_dictionaries({"Attribute": st.lists(MISP_ATTRIBUTE, max_size=3)}),
            max_size=2,
        ),
    },
)
MISP_DOC = st.one_of(
    MISP_EVENT.map(lambda e: {"Event": e}),
    st.lists(MISP_EVENT.map(lambda e: {"Event": e}), max_size=3),
    st.lists(MISP_EVENT.map(lambda e: {"Event": e}), max_size=3).map(lambda r: {"response": r}),
    JSONISH,
)


@FAST
@given(st.one_of(MISP_DOC.map(json.dumps), st.text(max_size=200)).map(str.encode))
def test_a_misp_document_is_read_or_refused_as_input(data: bytes) -> None:
    from dnscc.core import intel

    records = _refused_or_ok(
        lambda: list(intel.read_misp(io.BytesIO(data), name="e.json", limit=1 << 16))
    )
    if records is not None:
        assert sum(isinstance(r, intel.EventEnd) for r in records) >= 1


def test_an_indicator_with_an_empty_pattern_is_rejected_not_a_crash() -> None:
    from dnscc.core import intel

    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [{"type": "indicator", "id": "indicator--1", "pattern": ""}],
    }
    records = list(intel.read_stix(io.BytesIO(json.dumps(bundle).encode()), name="b.json"))
    assert [type(r) for r in records] == [intel.Rejected]
    assert "the pattern is empty" in records[0].reason  # type: ignore[union-attr]


def test_a_misp_url_with_an_unclosed_ipv6_literal_is_kept_without_a_value() -> None:
    from dnscc.core import intel

    event = {"Event": {"Attribute": [{"type": "url", "value": "http://[2001:db8::1/x"}]}}
    records = list(intel.read_misp(io.BytesIO(json.dumps(event).encode()), name="e.json"))
    assert not any(isinstance(r, intel.Observation) for r in records)
    assert isinstance(records[-1], intel.EventEnd)
