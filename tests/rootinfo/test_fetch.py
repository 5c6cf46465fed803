"""Ingestion from an HTTPS URL, against a loopback HTTPS server with a throwaway authority
(trustme): a published file and a tarball; plain HTTP, an unknown authority and an answer
over the size bound are refused."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from dnscc.core.errors import InputError, UnavailableError
from dnscc.rootinfo.ingest import ingest
from dnscc.rootinfo.models import DailyFile
from tests.https_server import HttpsServer


@pytest.fixture
def ca_file(https_server: HttpsServer, tmp_path: Path) -> str:
    return https_server.ca_file(tmp_path)


def _tarball(sample: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted((sample / "2024/06/unique-sources").glob("*.yaml")):
            tar.add(path, arcname=f"RSSAC002-data/2024/06/unique-sources/{path.name}")
    return buf.getvalue()


def test_a_published_file_and_a_tarball_are_fetched_over_https(
    db: Any, sample: Path, https_server: HttpsServer, ca_file: str
) -> None:
    one = sample / "2024/06/load-time/k-root-20240601-load-time.yaml"
    https_server.serve("/2024/06/load-time/k-root-20240601-load-time.yaml", one.read_bytes())
    https_server.serve("/rssac002.tar.gz", _tarball(sample))
    run = ingest(
        f"{https_server.url}/2024/06/load-time/k-root-20240601-load-time.yaml",
        ca_file=ca_file,
        jobs=1,
    )
    assert (run.kind, run.files_new, run.files_rejected) == ("url", 1, 0)
    assert DailyFile.objects.get().metric == "load-time"
    run = ingest(f"{https_server.url}/rssac002.tar.gz", ca_file=ca_file, jobs=1)
    assert (run.files_new, run.files_rejected) == (24, 0)
    assert run.source == f"{https_server.url}/rssac002.tar.gz"


def test_plain_http_is_refused_before_any_connection(db: Any) -> None:
    with pytest.raises(InputError, match="only https"):
        ingest("http://127.0.0.1:9/rssac002.tar.gz", jobs=1)


def test_a_server_whose_authority_is_unknown_is_refused(db: Any, https_server: HttpsServer) -> None:
    https_server.serve("/x.yaml", b"---\n")
    with pytest.raises(UnavailableError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        ingest(f"{https_server.url}/x.yaml", jobs=1)


def test_an_answer_over_the_bound_is_refused(
    db: Any, https_server: HttpsServer, ca_file: str
) -> None:
    https_server.serve("/huge.tar.gz", b"\0" * (2 << 20))
    with (
        override_settings(RSSAC002_MAX_DOWNLOAD_BYTES=1 << 20),
        pytest.raises(InputError, match="over the 1,048,576-byte bound"),
    ):
        ingest(f"{https_server.url}/huge.tar.gz", ca_file=ca_file, jobs=1)
    assert not DailyFile.objects.exists()


def test_a_missing_file_is_said(db: Any, https_server: HttpsServer, ca_file: str) -> None:
    with pytest.raises(UnavailableError, match="HTTP 404"):
        ingest(f"{https_server.url}/nothing.yaml", ca_file=ca_file, jobs=1)


def test_a_server_outside_the_egress_rule_gets_no_connection(
    db: Any, https_server: HttpsServer, ca_file: str
) -> None:
    from dnscc.core import egress

    https_server.serve("/y.yaml", b"---\n")
    with egress.using(egress.parse("public")), pytest.raises(egress.EgressRefused):
        ingest(f"{https_server.url}/y.yaml", ca_file=ca_file, jobs=1)


def test_a_proxy_named_in_the_environment_is_not_used(
    db: Any, https_server: HttpsServer, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 9: a fetch that went through the proxy would fail.
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    url = https_server.serve("/proxied.yaml", b"---\n")
    run = ingest(url, ca_file=ca_file, jobs=1)
    assert run.kind == "url"
