"""Pure outreach logic: templates, backoff, outcomes, rate limits, DSN parsing, CSAF mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dnscc.core.errors import InputError
from dnscc.core.ratelimit import TokenBucket
from dnscc.core.tlp import TLP
from dnscc.outreach import csaf, delivery, dsn, templating

KEY = "0123456789abcdef0123456789abcdef"


def test_a_template_names_every_missing_variable() -> None:
    t = templating.parse_template("x", "en", "Subject: Hi {who}\n\nBody {what} {who}\n")
    with pytest.raises(InputError) as caught:
        t.render({"who": "you"})
    assert caught.value.location.field == "what"
    assert "nothing was sent" in (caught.value.hint or "")


def test_a_template_refuses_attribute_access_in_placeholders() -> None:
    with pytest.raises(InputError):
        templating.parse_template("x", "en", "Subject: {a.__class__}\n\nbody\n")


def test_a_subject_value_with_a_newline_cannot_inject_headers() -> None:
    t = templating.parse_template("x", "en", "Subject: {title}\n\nbody\n")
    assert t.render({"title": "a\r\nBcc: evil@example"}).subject == "a Bcc: evil@example"


def test_every_core_notice_exists_in_english_french_and_spanish() -> None:
    kinds = templating.available()
    for kind in ("notice", "advisory", "followup", "contact_verification"):
        assert {"en", "fr", "es"} <= set(kinds[kind]), kind


def test_the_language_is_the_first_preferred_one_with_a_translation() -> None:
    assert templating.choose_language("notice", ["de", "fr-CA"]) == "fr"
    assert templating.choose_language("notice", ["ES"]) == "es"
    assert templating.choose_language("notice", ["sw", ""]) == "en"


def test_backoff_grows_exponentially_up_to_a_cap() -> None:
    delays = [delivery.backoff_seconds(n, base=30, jitter=0) for n in range(1, 6)]
    assert delays == [30, 60, 120, 240, 480]
    assert delivery.backoff_seconds(30, base=30, cap=3600, jitter=0) == 3600


@pytest.mark.parametrize(
    ("code", "ok", "permanent"),
    [(250, True, False), (421, False, False), (451, False, False), (550, False, True)],
)
def test_smtp_replies_are_classified_by_their_first_digit(
    code: int, ok: bool, permanent: bool
) -> None:
    outcome = delivery.smtp_outcome(code, "text")
    assert (outcome.ok, outcome.permanent) == (ok, permanent)


@pytest.mark.parametrize(
    ("status", "ok", "permanent"),
    [
        (200, True, False),
        (302, False, True),
        (404, False, True),
        (429, False, False),
        (503, False, False),
    ],
)
def test_http_answers_are_classified(status: int, ok: bool, permanent: bool) -> None:
    outcome = delivery.http_outcome(status)
    assert (outcome.ok, outcome.permanent) == (ok, permanent)


def test_a_token_bucket_allows_a_burst_then_paces() -> None:
    bucket = TokenBucket(rate=2, burst=2, now=0.0)
    assert bucket.take(0.0) == 0
    assert bucket.take(0.0) == 0
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(0.5) == 0


def _dsn(action: str, status: str, *, verp: bool = True, headers_key: bool = False) -> bytes:
    to = f"bounces+{KEY}@center.test" if verp else "postmaster@center.test"
    returned = (
        f"Message-ID: <{KEY}@center.test>\r\nSubject: x\r\n" if headers_key else "Subject: x\r\n"
    )
    return (
        f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        "Final-Recipient: rfc822; security@alpha.example\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{returned}\r\n--B--\r\n"
    ).encode()


def test_a_dsn_is_matched_by_the_verp_address() -> None:
    (report,) = dsn.parse(_dsn("failed", "5.1.1"))
    assert report.key == KEY
    assert report.permanent_failure
    assert report.recipient == "security@alpha.example"
    assert "user unknown" in report.diagnostic


def test_a_dsn_is_matched_by_the_returned_message_id() -> None:
    (report,) = dsn.parse(_dsn("delayed", "4.4.1", verp=False, headers_key=True))
    assert report.key == KEY
    assert not report.permanent_failure


def test_a_message_that_is_not_a_dsn_gives_no_report() -> None:
    assert dsn.parse(b"From: a@b\r\nSubject: hi\r\n\r\nhello\r\n") == []


@pytest.mark.parametrize(
    ("tlp", "label"),
    [
        (TLP.CLEAR, "WHITE"),
        (TLP.GREEN, "GREEN"),
        (TLP.AMBER, "AMBER"),
        (TLP.AMBER_STRICT, "AMBER"),
        (TLP.RED, "RED"),
    ],
)
def test_tlp_2_labels_map_explicitly_to_the_tlp_1_labels_csaf_carries(tlp: TLP, label: str) -> None:
    assert csaf.csaf_tlp(tlp)["label"] == label
    assert tlp.label in csaf.distribution_text(tlp)


def test_amber_strict_is_stated_in_the_distribution_text() -> None:
    assert "AMBER+STRICT" in csaf.distribution_text(TLP.AMBER_STRICT)


def test_csaf_file_names_follow_the_standard() -> None:
    assert csaf.file_name("DNSCC-2026-0001") == "dnscc-2026-0001.json"
    assert csaf.file_name("Example Co/2026:01") == "example_co_2026_01.json"


def _data(**kw: object) -> csaf.AdvisoryData:
    base: dict[str, object] = dict(
        tracking_id="DNSCC-2026-0007",
        title="KeyTrap",
        category="csaf_security_advisory",
        tlp=TLP.GREEN,
        summary="Validating resolvers can be made to spend minutes on one answer.",
        details="",
        recommendation="Upgrade.",
        products=[{"vendor": "NLnet Labs", "product": "Unbound", "versions": ["1.19.0"]}],
        vulnerabilities=[{"cve": "CVE-2023-50387", "title": "KeyTrap", "description": "CPU."}],
        references=[{"url": "https://example.org/keytrap", "summary": "write-up"}],
        publisher_name="dnscc",
        publisher_namespace="https://dnscc.example",
        released=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    base.update(kw)
    return csaf.AdvisoryData(**base)  # type: ignore[arg-type]


def test_a_security_advisory_passes_the_official_csaf_schema() -> None:
    doc = csaf.build(_data())
    assert csaf.schema_problems(doc) == []
    assert doc["document"]["distribution"]["tlp"]["label"] == "GREEN"
    assert doc["vulnerabilities"][0]["product_status"]["known_affected"] == ["CSAFPID-0001"]


def test_an_informational_advisory_has_no_vulnerabilities_and_passes_the_schema() -> None:
    doc = csaf.build(_data(category="csaf_informational_advisory"))
    assert "vulnerabilities" not in doc
    assert csaf.schema_problems(doc) == []


def test_a_document_that_breaks_the_schema_is_reported_with_its_path() -> None:
    doc = csaf.build(_data())
    doc["document"]["tracking"]["status"] = "shipped"
    problems = csaf.schema_problems(doc)
    assert problems
    assert problems[0].path == "/document/tracking/status"


def test_the_text_rendering_names_the_cve_and_the_affected_products() -> None:
    text = csaf.render_text(csaf.build(_data()))
    assert "CVE-2023-50387" in text
    assert "NLnet Labs Unbound 1.19.0" in text
    assert "TLP:GREEN" in text
