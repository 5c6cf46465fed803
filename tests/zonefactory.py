"""A small root zone made in memory, signed like the real one (DNSKEY, RRSIGs, an NSEC
chain) and carrying a ZONEMD record: the good copy that the import's checks must accept,
and the base of the bad copies they must refuse."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ed25519

TLDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
ROOT = dns.name.root


@lru_cache(maxsize=1)
def key() -> tuple[ed25519.Ed25519PrivateKey, dns.rdata.Rdata]:
    private = ed25519.Ed25519PrivateKey.generate()
    public = dns.dnssec.make_dnskey(private.public_key(), dns.dnssec.Algorithm.ED25519, flags=257)
    return private, public


def trust_anchor() -> dns.rrset.RRset:
    """The DS set of the zone's key, as a trust anchor file would give it."""
    return dns.rrset.from_rdata(ROOT, 86400, dns.dnssec.make_ds(ROOT, key()[1], "SHA256"))


def trust_anchor_text() -> str:
    return "".join(f". 86400 IN DS {ds}\n" for ds in trust_anchor())


def _unsigned(tlds: tuple[str, ...], serial: int) -> str:
    lines = [
        f". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. {serial} 1800 900 "
        "604800 86400",
        ". 518400 IN NS a.root-servers.net.",
        "a.root-servers.net. 518400 IN A 198.41.0.4",
        f". 86400 IN ZONEMD {serial} 1 1 {'00' * 48}",
    ]
    for i, tld in enumerate(tlds):
        lines += [
            f"{tld}. 172800 IN NS ns1.nic.{tld}.",
            f"{tld}. 172800 IN NS ns2.nic.{tld}.",
            f"{tld}. 86400 IN DS {1000 + i} 13 2 {'%064X' % (i + 1)}",
            f"ns1.nic.{tld}. 172800 IN A 192.0.2.{i + 1}",
            f"ns2.nic.{tld}. 172800 IN AAAA 2001:db8::{i + 1}",
        ]
    return "\n".join(lines) + "\n"


def signed_root(
    tlds: tuple[str, ...] = TLDS, *, serial: int = 2026120301, now: dt.datetime | None = None
) -> str:
    """The zone text: signed with key(), NSEC chain, a ZONEMD that verifies (signed too)."""
    private, public = key()
    now = now or dt.datetime.now(dt.UTC)
    zone = dns.zone.from_text(_unsigned(tlds, serial), origin=ROOT, relativize=False)
    window = {"inception": now - dt.timedelta(days=1), "expiration": now + dt.timedelta(days=14)}
    with zone.writer() as txn:
        dns.dnssec.sign_zone(zone, txn, keys=[(private, public)], dnskey_ttl=172800, **window)
    digest = zone.compute_digest(dns.zone.DigestHashAlgorithm.SHA384)
    zonemd = dns.rrset.from_rdata(ROOT, 86400, digest)
    signature = dns.dnssec.sign(zonemd, private, ROOT, public, **window)
    with zone.writer() as txn:
        txn.replace(ROOT, zonemd)
        txn.replace(ROOT, dns.rrset.from_rdata(ROOT, 86400, signature))
    return zone.to_text(relativize=False, want_origin=False)


def replace_line(text: str, pattern: str, new: str) -> str:
    """The zone with the first line matching `pattern` (a regex) replaced by `new` ("" drops it)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.search(pattern, line):
            lines[index : index + 1] = [new] if new else []
            return "\n".join(lines) + "\n"
    raise AssertionError(f"no line matches {pattern!r}")
