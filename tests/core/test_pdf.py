"""The shared PDF renderer: real WeasyPrint output, read back with pypdf; nothing fetched."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator

import pypdf
import pytest

from dnscc.core.errors import InputError
from dnscc.core.pdf import html_to_pdf, offline_fetcher

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60" width="200" height="60">'
    '<rect width="200" height="60" fill="#b42318"/><text x="10" y="35">heat map cell 5x5</text>'
    "</svg>"
)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_html_with_an_inline_svg_becomes_a_pdf_whose_text_reads_back() -> None:
    pdf = html_to_pdf(f"<h1>Risk assessment 2026 — café, niño</h1>{SVG}")
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert "Risk assessment 2026 — café, niño" in text
    assert "heat map cell 5x5" in text  # the SVG's text is drawn as text, not lost


def test_a_long_document_flows_onto_several_pages() -> None:
    rows = "".join(f"<p>row {i}</p>" for i in range(300))
    reader = pypdf.PdfReader(io.BytesIO(html_to_pdf(rows)))
    assert len(reader.pages) > 3


def test_the_title_is_the_documents_metadata() -> None:
    reader = pypdf.PdfReader(io.BytesIO(html_to_pdf("<p>x</p>", title="Baseline 2026")))
    assert reader.metadata is not None
    assert reader.metadata.title == "Baseline 2026"


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/svg+xml")
        self.end_headers()
        self.wfile.write(SVG.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[str]:
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_report_naming_outside_urls_renders_without_fetching_them(loopback_server: str) -> None:
    html = (
        f'<link rel="stylesheet" href="{loopback_server}/style.css">'
        f'<p>report</p><img src="{loopback_server}/logo.svg">'
        f"<style>@font-face {{ font-family: X; src: url({loopback_server}/font.woff2) }}</style>"
    )
    pdf = html_to_pdf(html)
    assert "report" in _text(pdf)
    assert _Recorder.hits == []


def test_only_inline_data_urls_are_fetched() -> None:
    fetcher = offline_fetcher()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher("file:///etc/passwd")
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher("https://example.org/x.png")
    assert fetcher("data:text/plain;base64,aGk=").read() == b"hi"


def test_text_with_a_nul_character_is_refused_with_its_field() -> None:
    with pytest.raises(InputError, match="NUL"):
        html_to_pdf("<p>a\x00b</p>")
