"""A loopback HTTPS server for the tests of what fetches over HTTPS: a throwaway authority
(trustme) issues its certificate, a thread serves it, and a test puts the pages it needs
in `pages` (path -> status, body, headers; any other path is a 404). The fixture
`https_server` (tests/conftest.py) starts one per test module."""

from __future__ import annotations

import contextlib
import http.server
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

Page = tuple[int, bytes, dict[str, str]]


@dataclass
class HttpsServer:
    url: str  # https://127.0.0.1:PORT, no trailing slash
    ca: trustme.CA  # the authority that issued its certificate
    pages: dict[str, Page] = field(default_factory=dict)

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        """Answer `path` with `body`; its full URL."""
        self.pages[path] = (status, body, headers)
        return self.url + path

    def ca_file(self, directory: Path) -> str:
        """The authority's certificate written in `directory` (what a client is told to
        trust); its path."""
        path = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)


@contextlib.contextmanager
def https_server() -> Iterator[HttpsServer]:
    """An HttpsServer on 127.0.0.1 for the `with` block, shut down after it."""
    pages: dict[str, Page] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = pages.get(self.path, (404, b"", {}))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    ca = trustme.CA()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpsServer(f"https://127.0.0.1:{httpd.server_address[1]}", ca, pages)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
