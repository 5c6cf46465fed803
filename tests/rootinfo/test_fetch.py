"""Ingestion from an HTTPS URL, against a loopback HTTPS server with a throwaway authority
(trustme): a published file and a tarball; plain HTTP, an unknown authority and an answer
over the size bound are refused."""

from __future__ import annotations

import http.server
import io
import ssl
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from django.test import override_settings

from dnscc.core.errors import InputError, UnavailableError
from dnscc.rootinfo.ingest import ingest
from dnscc.rootinfo.models import DailyFile

FILES: dict[str, bytes] = {}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = FILES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _tarball(sample: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted((sample / "2024/06/unique-sources").glob("*.yaml")):
            tar.add(path, arcname=f"RSSAC002-data/2024/06/unique-sources/{path.name}")
    return buf.getvalue()


def test_a_published_file_and_a_tarball_are_fetched_over_https(
    db: Any, sample: Path, server: str, ca_file: str
) -> None:
    one = sample / "2024/06/load-time/k-root-20240601-load-time.yaml"
    FILES["/2024/06/load-time/k-root-20240601-load-time.yaml"] = one.read_bytes()
    FILES["/rssac002.tar.gz"] = _tarball(sample)
    run = ingest(
        f"{server}/2024/06/load-time/k-root-20240601-load-time.yaml", ca_file=ca_file, jobs=1
    )
    assert (run.kind, run.files_new, run.files_rejected) == ("url", 1, 0)
    assert DailyFile.objects.get().metric == "load-time"
    run = ingest(f"{server}/rssac002.tar.gz", ca_file=ca_file, jobs=1)
    assert (run.files_new, run.files_rejected) == (24, 0)
    assert run.source == f"{server}/rssac002.tar.gz"


def test_plain_http_is_refused_before_any_connection(db: Any) -> None:
    with pytest.raises(InputError, match="only https"):
        ingest("http://127.0.0.1:9/rssac002.tar.gz", jobs=1)


def test_a_server_whose_authority_is_unknown_is_refused(db: Any, server: str) -> None:
    FILES["/x.yaml"] = b"---\n"
    with pytest.raises(UnavailableError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        ingest(f"{server}/x.yaml", jobs=1)


def test_an_answer_over_the_bound_is_refused(db: Any, server: str, ca_file: str) -> None:
    FILES["/huge.tar.gz"] = b"\0" * (2 << 20)
    with (
        override_settings(RSSAC002_MAX_DOWNLOAD_BYTES=1 << 20),
        pytest.raises(InputError, match="over the 1,048,576-byte bound"),
    ):
        ingest(f"{server}/huge.tar.gz", ca_file=ca_file, jobs=1)
    assert not DailyFile.objects.exists()


def test_a_missing_file_is_said(db: Any, server: str, ca_file: str) -> None:
    with pytest.raises(UnavailableError, match="HTTP 404"):
        ingest(f"{server}/nothing.yaml", ca_file=ca_file, jobs=1)


def test_a_server_outside_the_egress_rule_gets_no_connection(
    db: Any, server: str, ca_file: str
) -> None:
    from dnscc.core import egress

    FILES["/y.yaml"] = b"---\n"
    with egress.using(egress.parse("public")), pytest.raises(egress.EgressRefused):
        ingest(f"{server}/y.yaml", ca_file=ca_file, jobs=1)
