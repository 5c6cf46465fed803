"""Polling partners' feeds: a TAXII 2.1 collection (objects added after the last poll, page
by page) or a MISP feed (manifest.json, then the event files that are new or changed).

Every connection obeys the center's one egress rule (dnscc.core.egress, DNSCC_PROBE_NETWORKS,
docs/security.md): the feed's host is resolved once, each of its addresses checked, and the
connection made to a checked address (no second lookup, no proxy, no redirect). Development,
tests and the demo allow loopback only; production the Internet unless told more (a partner's
feed inside a private network: add that network to DNSCC_PROBE_NETWORKS). Responses are
spooled to temporary files and parsed as streams, so a large feed never sits in memory.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import tempfile
import urllib.error
import urllib.request
from typing import IO, Any
from urllib.parse import urlencode, urljoin, urlsplit

from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core import egress
from dnscc.core.errors import InputError, Location, PermissionDenied, UnavailableError
from dnscc.core.tlp import TLP, Viewer
from dnscc.sharing import imports
from dnscc.sharing.models import FeedSource, Import

TIMEOUT = 30
MAX_PAGES = 1000
"""A poll stops after this many TAXII pages (the next poll goes on from the cursor)."""
TAXII_ACCEPT = "application/taxii+json;version=2.1"


def _checked_address(host: str, port: int) -> str:
    """The address to connect to: the host resolved once and every address it has checked by
    the egress rule (a name with one address outside is refused), so that no second lookup
    can lead the connection elsewhere (DNS rebinding)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnavailableError(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnavailableError(f"cannot resolve {host}: no address")
    policy = egress.current()
    for address in addresses:
        policy.check(address, egress.FEED, host=host)
    return addresses[0]


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http(s) URL", location=Location(field="url"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(f"{url!r} has no valid port", location=Location(field="url")) from None
    return parts.hostname, port


def check_egress(url: str) -> None:
    """Refuse (EgressRefused, exit 77) a URL whose host resolves to an address outside the
    networks the center may send to (dnscc.core.egress, DNSCC_PROBE_NETWORKS)."""
    _checked_address(*_host_port(url))


class _PinnedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        address = _checked_address(self.host, self.port)
        self.sock = socket.create_connection((address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        address = _checked_address(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Every connection goes to an address the egress rule allowed, HTTP or HTTPS."""

    def http_open(self, req: Any) -> Any:
        return self.do_open(_PinnedHTTP, req)

    def https_open(self, req: Any) -> Any:
        return self.do_open(_PinnedHTTPS, req, context=ssl.create_default_context())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a feed answers where it was asked; a redirect is an error to fix


def get(url: str, *, token: str = "", accept: str = "application/json") -> tuple[IO[bytes], Any]:
    """GET into a temporary file (bounded by the import limit); (file, headers). The host's
    addresses pass the egress rule before any packet is sent (EgressRefused otherwise)."""
    _host_port(url)
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - checked
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    # No proxy from the environment: the connection goes where the egress rule said.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _PinnedHandler(), _NoRedirect
    )
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    limit = imports.max_bytes()
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise InputError(f"{url} answered more than {limit:,} bytes")
                spool.write(chunk)
            headers = response.headers
    except urllib.error.HTTPError as exc:
        spool.close()
        raise UnavailableError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        spool.close()
        if isinstance(exc.reason, egress.EgressRefused):
            raise exc.reason from None
        raise UnavailableError(f"{url}: {exc.reason}") from None
    except OSError as exc:
        spool.close()
        raise UnavailableError(f"{url}: {exc}") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, headers  # type: ignore[return-value]


def add_source(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    name: str,
    kind: str,
    url: str,
    token: str = "",
    source_tlp: str = "",
) -> FeedSource:
    """Staff only. A feed to poll (its URL checked now, and at every poll)."""
    staff_only(viewer, "add partner feeds")
    from dnscc.core.text import check_text

    name = check_text(name, field="name", max_length=200, required=True, one_line=True)
    if kind not in (FeedSource.TAXII, FeedSource.MISP):
        raise InputError(
            f"unknown feed kind {kind!r}", location=Location(field="kind"), hint="taxii or misp"
        )
    label = TLP.parse(source_tlp, field="source_tlp").value if source_tlp else ""
    url = check_text(url, field="url", max_length=500, required=True, one_line=True)
    if not url.endswith("/"):
        url += "/"
    check_egress(url)
    source = FeedSource.objects.create(
        name=name, kind=kind, url=url, token=token, source_tlp=label, created_by=actor.name[:150]
    )
    audit.record(actor, "sharing.source.add", obj=source, summary=f"{kind} feed {name}")
    return source


def poll(source: FeedSource, *, actor: audit.Actor = audit.SYSTEM) -> list[Import]:
    """Poll one source now; records the error on the source and raises on failure."""
    try:
        found = (
            _poll_taxii(source, actor)
            if source.kind == FeedSource.TAXII
            else _poll_misp(source, actor)
        )
    except (InputError, UnavailableError, PermissionDenied) as exc:  # EgressRefused included
        FeedSource.objects.filter(pk=source.pk).update(
            last_error=str(exc)[:500], last_polled_at=timezone.now()
        )
        raise
    FeedSource.objects.filter(pk=source.pk).update(
        last_error="", last_polled_at=timezone.now(), cursor=source.cursor, seen=source.seen
    )
    return found


def _poll_taxii(source: FeedSource, actor: audit.Actor) -> list[Import]:
    found = []
    next_token = ""
    for _ in range(MAX_PAGES):
        params = {"next": next_token} if next_token else {}
        if source.cursor and not next_token:
            params["added_after"] = source.cursor
        url = urljoin(source.url, "objects/") + (f"?{urlencode(params)}" if params else "")
        body, headers = get(url, token=source.token, accept=TAXII_ACCEPT)
        with body:
            envelope = _peek_more(body)
            body.seek(0)
            if envelope["count"]:
                found.append(
                    imports.run_stix(
                        actor,
                        body,
                        name=url[:300],
                        provenance=f"{source.name} (TAXII)",
                        kind=Import.TAXII,
                        source_tlp=source.source_tlp,
                        source=source,
                        envelope=True,
                    )
                )
        last = headers.get("X-TAXII-Date-Added-Last")
        if last:
            source.cursor = last[:64]
        next_token = envelope["next"] if envelope["more"] else ""
        if not next_token:
            break
    return found


def _peek_more(body: IO[bytes]) -> dict[str, Any]:
    """more, next and the number of objects of an envelope, streamed."""
    import ijson

    result: dict[str, Any] = {"more": False, "next": "", "count": 0}
    try:
        for prefix, event, value in ijson.parse(body):
            if prefix == "more" and event == "boolean":
                result["more"] = bool(value)
            elif prefix == "next" and event == "string":
                result["next"] = value
            elif prefix == "objects.item" and event == "start_map":
                result["count"] += 1
    except ijson.JSONError as exc:
        raise InputError(f"the TAXII server's answer is not JSON: {exc}") from None
    return result


def _poll_misp(source: FeedSource, actor: audit.Actor) -> list[Import]:
    body, _ = get(urljoin(source.url, "manifest.json"), token=source.token)
    with body:
        try:
            manifest = json.load(body)
        except ValueError as exc:
            raise InputError(f"the feed's manifest.json is not JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise InputError("the feed's manifest.json is not an object of events")
    changed = [
        uid
        for uid, head in manifest.items()
        if isinstance(head, dict) and source.seen.get(uid) != str(head.get("timestamp", ""))
    ]
    if not changed:
        return []
    files = []
    try:
        for uid in changed:
            if not all(c in "0123456789abcdef-" for c in uid.lower()):
                raise InputError(f"the manifest names an event {uid[:60]!r} that is not a uuid")
            event, _ = get(urljoin(source.url, f"{uid}.json"), token=source.token)
            files.append((f"{uid}.json", event))
        imp = imports.run_misp(
            actor,
            files,
            name=source.url[:300],
            provenance=f"{source.name} (MISP feed)",
            kind=Import.MISP_FEED,
            source_tlp=source.source_tlp,
            source=source,
        )
    finally:
        for _, f in files:
            f.close()
    source.seen = {**source.seen, **{u: str(manifest[u].get("timestamp", "")) for u in changed}}
    return [imp]


def poll_due() -> int:
    """The scheduler's job: poll every source once (errors are kept on the source)."""
    polled = 0
    for source in FeedSource.objects.all():
        try:
            poll(source)
        except (InputError, UnavailableError, PermissionDenied):
            continue
        polled += 1
    return polled
