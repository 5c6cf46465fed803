"""The probe's value types: evidence, findings, zone reports. Frozen, compact, JSON-ready."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.rcode
import dns.rdatatype

from dnscc.probe.transport import Answer, rcode_text, type_text

SEVERITIES = ("info", "notice", "warning", "error", "critical")


@dataclass(frozen=True)
class Evidence:
    """One query and a summary of what came back: enough to prove a finding."""

    qname: str
    qtype: str
    server: str
    time: str  # UTC, ISO 8601, when the query was first sent
    status: str  # ok | timeout | error
    rcode: str | None = None
    flags: str | None = None
    records: tuple[str, ...] = ()
    note: str | None = None
    # What dig prints besides: the section the records come from, the round trip of the
    # answered try, the transport and the answer's size.
    section: str = "answer"
    ms: float | None = None
    tcp: bool = False
    size: int | None = None

    @classmethod
    def of(
        cls,
        answer: Answer,
        *,
        records: tuple[str, ...] = (),
        note: str | None = None,
        section: str = "answer",
    ) -> Evidence:
        rcode = flags = None
        if answer.ok:
            rcode = rcode_text(answer.rcode) if answer.rcode >= 0 else "?"
            flags = dns.flags.to_text(answer.flags) or "-"
        if note is None and not answer.ok:
            note = answer.error or f"no answer after {answer.tries} tries"
        when = dt.datetime.fromtimestamp(answer.sent_at, dt.UTC).isoformat(timespec="milliseconds")
        return cls(
            qname=answer.qname,
            qtype=type_text(answer.qtype),
            server=answer.server,
            time=when,
            status=answer.status,
            rcode=rcode,
            flags=flags,
            records=records,
            note=note,
            section=section,
            ms=round(answer.rtt * 1000, 1) if answer.ok and answer.rtt is not None else None,
            tcp=bool(answer.tcp),
            size=len(answer.wire) if answer.wire else None,
        )

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "query": f"{self.qname} {self.qtype} @{self.server}",
            "time": self.time,
            "status": self.status,
        }
        if self.rcode is not None:
            d["rcode"] = self.rcode
            d["flags"] = self.flags
        if self.records:
            d["records"] = list(self.records)
            if self.section != "answer":
                d["section"] = self.section
        if self.ms is not None:
            d["ms"] = self.ms
        if self.tcp:
            d["tcp"] = True
        if self.size is not None:
            d["size"] = self.size
        if self.note:
            d["note"] = self.note
        return d


def records_of(answer: Answer, section: str = "answer", limit: int = 12) -> tuple[str, ...]:
    """Records of one section as text, for evidence (bounded: a huge NS set stays compact)."""
    try:
        msg = answer.message()
    except dns.exception.DNSException:
        return ("<unparseable answer>",)
    rrsets = getattr(msg, section)
    out: list[str] = []
    for rrset in rrsets:
        for line in rrset.to_text().splitlines():
            out.append(line if len(line) <= 160 else line[:157] + "...")
    if len(out) > limit:
        out = [*out[:limit], f"... {len(out) - limit} more"]
    return tuple(out)


@dataclass(frozen=True)
class Finding:
    """A problem found: its stable code (a Zonemaster test case id, or one of the center's
    own DNSCC_ codes), its message tag (Zonemaster's, e.g. IS_NOT_AUTHORITATIVE; the code
    itself for our own codes), severity (from the profile) and evidence."""

    code: str
    severity: str
    zone: str
    server: str | None
    message: str
    evidence: tuple[Evidence, ...] = ()
    tag: str = ""
    args: tuple[tuple[str, str], ...] = ()  # Zonemaster's message arguments, for --format

    @property
    def detail(self) -> str:
        """The message tag (the code itself for the center's own codes)."""
        return self.tag or self.code

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "tag": self.detail,
            "severity": self.severity,
            "zone": self.zone,
            "server": self.server,
            "message": self.message,
            "evidence": [e.as_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class ZoneReport:
    """Everything one probe of one zone found, and what it could not test (and why)."""

    zone: str
    findings: tuple[Finding, ...]
    untested: tuple[str, ...] = ()
    queries: int = 0
    seconds: float = 0.0
    servers: tuple[str, ...] = field(default=())
    skipped: tuple[str, ...] = ()  # checks not run for want of input, with what was missing
    chain: tuple[dict[str, Any], ...] = ()  # the DNSSEC chain, for the picture (dnssec_chain)

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    @property
    def tags(self) -> set[str]:
        """The message tags found (the code for the center's own codes)."""
        return {f.detail for f in self.findings}

    @property
    def worst(self) -> str | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITIES.index)

    def as_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "findings": [f.as_dict() for f in self.findings],
            "untested": list(self.untested),
            "skipped": list(self.skipped),
            "queries": self.queries,
            "seconds": round(self.seconds, 3),
            "servers": list(self.servers),
        }
