"""Fetching one file over HTTPS on a user's request (RSSAC002 data, the root zone): bounded
in size, certificates verified (against a given authority file or the system's), never over
plain HTTP, not even after a redirect, and only to addresses the egress rule allows
(dnscc.core.egress, DNSCC_PROBE_NETWORKS; decision 0008). A proxy named in the environment is
not used.

The host is resolved once and every address checked, and the connection goes to the checked
address, so that no second lookup can lead it elsewhere (DNS rebinding).
Pure: no Django; the callers pass their settings.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dnscc.core import egress
from dnscc.core.errors import InputError, Location, UnavailableError

__all__ = ["checked_address", "download", "require_https"]

CHUNK = 1 << 20


def checked_address(host: str, port: int, *, stream: bool = True) -> str:
    """The address to connect to: `host` resolved once, every address checked by the egress
    rule (a name that resolves anywhere forbidden is refused: EgressRefused)."""
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM if stream else socket.SOCK_DGRAM
        )
    except OSError as exc:
        raise UnavailableError(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnavailableError(f"cannot resolve {host}: no address")
    policy = egress.current()
    for address in addresses:
        policy.check(address, egress.FETCH, host=host)
    return addresses[0]


class _CheckedConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        address = checked_address(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _CheckedHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._checked_context = context

    def https_open(self, req: Any) -> Any:
        return self.do_open(_CheckedConnection, req, context=self._checked_context)


class _HttpsOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if urlsplit(newurl).scheme != "https":
            raise InputError(
                f"redirected to {newurl[:200]}: only HTTPS is followed",
                location=Location(file=req.full_url),
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def require_https(url: str, *, hint: str) -> None:
    """InputError unless `url` is an https:// URL with a host."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InputError(
            "only https:// URLs are fetched", location=Location(file=url[:200]), hint=hint
        )


def download(
    url: str,
    target: Path,
    *,
    limit: int,
    timeout: float,
    ca_file: str | None = None,
    limit_hint: str,
    scheme_hint: str,
) -> Path:
    """Download `url` into the file `target`; `target`. InputError for a URL that is not
    HTTPS, a redirect to anything else, or an answer over `limit` bytes; UnavailableError
    when the server fails; EgressRefused for a destination outside the allowed networks."""
    require_https(url, hint=scheme_hint)
    context = ssl.create_default_context(cafile=ca_file or None)
    # No proxy from the environment (https_proxy and the like): the connection goes to the
    # address the egress rule checked, and nowhere else.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _CheckedHandler(context), _HttpsOnly()
    )
    where = Location(file=url[:200])
    try:
        with opener.open(url, timeout=timeout) as answer:
            length = answer.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise InputError(
                    f"the answer is {int(length):,} bytes, over the {limit:,}-byte bound",
                    location=where,
                    hint=limit_hint,
                )
            size = 0
            with target.open("wb") as out:
                while chunk := answer.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise InputError(
                            f"the answer grew past the {limit:,}-byte bound",
                            location=where,
                            hint=limit_hint,
                        )
                    out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise UnavailableError(f"{url[:200]}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise UnavailableError(f"{url[:200]}: {exc.reason}") from None
    except (OSError, ssl.SSLError) as exc:
        raise UnavailableError(f"{url[:200]}: {exc}") from None
    return target
