"""The real root zone, fetched when the user asks: over HTTPS (`dnscc import rootzone --url`,
e.g. https://www.internic.net/domain/root.zone) or by zone transfer from a root server that
offers one (`--axfr SERVER`). Only to destinations the egress rule allows (dnscc.core.egress,
DNSCC_PROBE_NETWORKS), never over plain HTTP, bounded in size and time.

A fetched copy is held to more than a file: its ZONEMD must verify (no snapshot excuse) and
its DNSKEY, SOA and ZONEMD sets must validate against the root trust anchor (the shipped
IANA anchors, or DNSCC_TRUST_ANCHOR), before the import's other checks
(directory.rootzone_import.verify_zone).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import dns.exception
import dns.query
import dns.rdatatype
import dns.rrset
import dns.xfr
import dns.zone
from django.conf import settings

from dnscc.core import httpsget
from dnscc.core.errors import InputError, Location, UnavailableError
from dnscc.core.paths import default_trust_anchor
from dnscc.probe.zone import read_trust_anchor

__all__ = ["fetch_axfr", "fetch_url", "trust_anchor"]


def trust_anchor() -> dns.rrset.RRset:
    """The root trust anchor DS set fetched copies are validated against."""
    path = default_trust_anchor()
    try:
        return read_trust_anchor(str(path))
    except OSError as exc:
        raise InputError(
            f"cannot read the trust anchor: {exc.strerror or exc}",
            location=Location(str(path)),
            hint="DNSCC_TRUST_ANCHOR names a file of DS records (. IN DS ...)",
        ) from None


def fetch_url(url: str, *, ca_file: str | None = None) -> str:
    """The zone text at an https:// URL. InputError for a URL that is not HTTPS, a redirect
    to plain HTTP, an answer over DNSCC_ROOTZONE_MAX_DOWNLOAD_BYTES or not UTF-8;
    UnavailableError when the server fails; EgressRefused outside the allowed networks."""
    hint = "the root zone is published over HTTPS (https://www.internic.net/domain/root.zone)"
    with tempfile.TemporaryDirectory(prefix="dnscc-rootzone-") as tmp:
        path = httpsget.download(
            url,
            Path(tmp) / "root.zone",
            limit=int(settings.ROOTZONE_MAX_DOWNLOAD_BYTES),
            timeout=settings.ROOTZONE_FETCH_TIMEOUT,
            ca_file=ca_file or settings.ROOTZONE_CA_FILE or None,
            limit_hint="raise DNSCC_ROOTZONE_MAX_DOWNLOAD_BYTES if this is expected",
            scheme_hint=hint,
        )
        data = path.read_bytes()
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the answer is not zone text (byte {exc.start} is not ASCII)",
            location=Location(url[:200]),
        ) from None


def _server(server: str) -> tuple[str, int]:
    """SERVER or SERVER@PORT (dig's form; an IPv6 address has colons)."""
    host, _, port = server.partition("@")
    if not host or (port and not port.isdigit()) or (port and not 0 < int(port) < 65536):
        raise InputError(
            f"{server!r} is not a server",
            location=Location(field="axfr"),
            hint="a name or address, optionally @PORT (e.g. lax.xfr.dns.icann.org or 192.0.2.1@53)",
        )
    return host, int(port or 53)


def fetch_axfr(server: str, *, source: str | None = None) -> str:
    """The root zone transferred (AXFR over TCP) from `server` (NAME, ADDRESS or ...@PORT), in
    zone-file text. InputError for a transfer that is refused or ends early (no closing SOA);
    UnavailableError when the server cannot be reached; EgressRefused outside the allowed
    networks."""
    host, port = _server(server)
    address = httpsget.checked_address(host, port)
    where = Location(f"AXFR from {server}")
    try:
        zone = dns.zone.from_xfr(
            dns.query.xfr(
                address,
                ".",
                port=port,
                source=source,
                timeout=settings.ROOTZONE_FETCH_TIMEOUT,
                lifetime=settings.ROOTZONE_FETCH_TIMEOUT * 5,
                relativize=False,
            ),
            relativize=False,
        )
    except dns.xfr.TransferError as exc:
        raise InputError(
            f"the server refused the transfer ({exc})",
            location=where,
            hint="not every root server offers AXFR (RFC 8806 lists those that do)",
        ) from None
    except (EOFError, dns.exception.FormError, dns.zone.NoSOA) as exc:
        raise InputError(
            f"the transfer is truncated: it ended before its closing SOA record ({exc or 'EOF'})",
            location=where,
            hint="try again, or another server",
        ) from None
    except dns.exception.Timeout:
        raise UnavailableError(
            f"{server}: no answer within {settings.ROOTZONE_FETCH_TIMEOUT} s"
        ) from None
    except OSError as exc:
        raise UnavailableError(f"{server}: {exc}") from None
    return str(zone.to_text(relativize=False, want_origin=False))
