"""Evidence reads like dig: the question, the header with status and flags, the section the
records came from, the query time, the server and when."""

from __future__ import annotations

from dnscc.monitoring.evidence import as_dig


def test_an_answer_is_shown_with_header_question_section_and_timing() -> None:
    text = as_dig(
        {
            "query": "fr. NS @192.0.2.1",
            "time": "2026-05-01T10:00:00.123+00:00",
            "status": "ok",
            "rcode": "NOERROR",
            "flags": "QR AA",
            "records": ["fr. 172800 IN NS d.nic.fr."],
            "section": "authority",
            "ms": 1.5,
            "size": 312,
        }
    )
    lines = text.splitlines()
    assert lines[0] == "; <<>> dnscc probe <<>> fr. NS @192.0.2.1"
    assert ";; ->>HEADER<<- status: NOERROR" in lines
    assert ";; flags: qr aa" in lines
    assert ";fr.\t\tIN\tNS" in lines
    assert lines[lines.index(";; AUTHORITY SECTION:") + 1] == "fr. 172800 IN NS d.nic.fr."
    assert ";; Query time: 1.5 msec" in lines
    assert ";; SERVER: 192.0.2.1 (UDP)" in lines
    assert ";; WHEN: 2026-05-01 10:00:00.123 UTC" in lines
    assert ";; MSG SIZE  rcvd: 312" in lines


def test_a_timeout_says_that_no_server_could_be_reached() -> None:
    text = as_dig(
        {"query": "cl. SOA @2001:db8::53", "time": "", "status": "timeout", "note": "no answer"}
    )
    assert ";; communications error to 2001:db8::53: timed out" in text
    assert "ANSWER SECTION" not in text


def test_evidence_stored_before_timings_were_kept_still_renders() -> None:
    text = as_dig({"query": "sn. NS @127.9.0.1", "time": "x", "status": "ok", "rcode": "NOERROR"})
    assert ";; ->>HEADER<<- status: NOERROR" in text
    assert "Query time" not in text


def test_evidence_that_is_not_a_query_is_shown_as_it_is() -> None:
    assert as_dig("trimmed proof") == "trimmed proof"
    assert '"serial": 5' in as_dig({"serial": 5})
