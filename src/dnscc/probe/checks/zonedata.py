"""Zone: the SOA MNAME is the zone's primary (ZONE01) and no alias (07); the SOA timers are
sane (02-06); mail: MX present or a null MX, consistently (09); one SOA (10); SPF (11).
ZONE08 (MX target an alias) reports nothing at Zonemaster's default levels."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import dns.name
import dns.rcode
import dns.rdatatype

from dnscc.probe import wire
from dnscc.probe.checks import Out, authoritative, ev, few, lossy, rrset, soa_of
from dnscc.probe.transport import rcode_text

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def zone01_07(c: Collected, out: Out) -> None:
    """ZONE01 (the MNAME answers as the primary) and ZONE07 (the MNAME is no alias)."""
    soa = soa_of(c)
    if soa is None:
        return
    mname = soa.mname.to_text().lower()
    args = {"mname": mname}
    if soa.mname == dns.name.root:
        out.add("ZONE01", "Z01_MNAME_IS_DOT", "the SOA MNAME is . (no primary named)", args=args)
        return
    if mname.startswith("localhost."):
        out.add("ZONE01", "Z01_MNAME_IS_LOCALHOST", f"the SOA MNAME is {mname}", args=args)
        return
    res = c.mname_resolution
    if res is not None and res.cname:
        out.add(
            "ZONE07",
            "MNAME_IS_CNAME",
            f"the SOA MNAME {mname} is an alias for {res.cname}",
            [ev(x) for x in res.answers[:1]],
            args=args,
        )
    if res is not None and not res.addresses:
        out.add(
            "ZONE07", "MNAME_HAS_NO_ADDRESS", f"the SOA MNAME {mname} has no address", args=args
        )
        out.add(
            "ZONE01", "Z01_MNAME_NOT_RESOLVE", f"the SOA MNAME {mname} does not resolve", args=args
        )
        return
    serials = []
    for a in c.soa:
        if authoritative(c.soa[a]):
            try:
                s = wire.soa_serial(c.soa[a].wire or b"")
            except wire.WireError:
                continue
            if s is not None:
                serials.append(s)
    for a, answer in c.mname.items():
        if a in ("127.0.0.1", "::1") and not c.in_testbed(a):
            out.add(
                "ZONE01",
                "Z01_MNAME_HAS_LOCALHOST_ADDR",
                f"the SOA MNAME {mname} resolves to {a}",
                args=args,
            )
            continue
        who = f"{mname} ({a})"
        if not answer.ok and lossy(c, a):
            continue  # a lost answer of a lossy server: DNSCC_LOSSY's finding
        if not answer.ok:
            out.add(
                "ZONE01",
                "Z01_MNAME_NO_RESPONSE",
                f"the SOA MNAME {who} does not answer",
                [ev(answer)],
                server=a,
                args=args,
            )
        elif answer.rcode != dns.rcode.NOERROR:
            out.add(
                "ZONE01",
                "Z01_MNAME_UNEXPECTED_RCODE",
                f"the SOA MNAME {who} answers {rcode_text(answer.rcode)}",
                [ev(answer)],
                server=a,
                args=args,
            )
        elif not answer.aa:
            out.add(
                "ZONE01",
                "Z01_MNAME_NOT_AUTHORITATIVE",
                f"the SOA MNAME {who} is not authoritative for the zone",
                [ev(answer)],
                server=a,
                args=args,
            )
        else:
            found = rrset(answer, c.zone, dns.rdatatype.SOA)
            if not found:
                out.add(
                    "ZONE01",
                    "Z01_MNAME_MISSING_SOA_RECORD",
                    f"the SOA MNAME {who} has no SOA for the zone",
                    [ev(answer)],
                    server=a,
                    args=args,
                )
            elif serials and found[0].serial < max(serials):
                out.add(
                    "ZONE01",
                    "Z01_MNAME_NOT_MASTER",
                    f"the SOA MNAME {who} has serial {found[0].serial}, older than "
                    f"{max(serials)} elsewhere: it is not the primary",
                    [ev(answer)],
                    server=a,
                    args=args,
                )


def zone02_06(c: Collected, out: Out) -> None:
    """ZONE02-06: SOA refresh, retry, expire and minimum against the profile."""
    soa = soa_of(c)
    if soa is None:
        return
    t = out.profile.threshold
    if soa.refresh < t("refresh_min"):
        out.add(
            "ZONE02",
            "REFRESH_MINIMUM_VALUE_LOWER",
            f"SOA refresh is {soa.refresh} s, lower than {t('refresh_min'):.0f}",
            args={"refresh": str(soa.refresh)},
        )
    if soa.retry >= soa.refresh:
        out.add(
            "ZONE03",
            "REFRESH_LOWER_THAN_RETRY",
            f"SOA refresh {soa.refresh} s is not higher than retry {soa.retry} s",
        )
    if soa.retry < t("retry_min"):
        out.add(
            "ZONE04",
            "RETRY_MINIMUM_VALUE_LOWER",
            f"SOA retry is {soa.retry} s, lower than {t('retry_min'):.0f}",
            args={"retry": str(soa.retry)},
        )
    if soa.expire < t("expire_min"):
        out.add(
            "ZONE05",
            "EXPIRE_MINIMUM_VALUE_LOWER",
            f"SOA expire is {soa.expire} s, lower than {t('expire_min'):.0f}",
            args={"expire": str(soa.expire)},
        )
    if soa.expire < soa.refresh:
        out.add(
            "ZONE05",
            "EXPIRE_LOWER_THAN_REFRESH",
            f"SOA expire {soa.expire} s is lower than refresh {soa.refresh} s",
        )
    if soa.minimum > t("soa_minimum_max"):
        out.add(
            "ZONE06",
            "SOA_DEFAULT_TTL_MAXIMUM_VALUE_HIGHER",
            f"SOA minimum is {soa.minimum} s, higher than {t('soa_minimum_max'):.0f}",
            args={"minimum": str(soa.minimum)},
        )
    elif soa.minimum < t("soa_minimum_min"):
        out.add(
            "ZONE06",
            "SOA_DEFAULT_TTL_MAXIMUM_VALUE_LOWER",
            f"SOA minimum is {soa.minimum} s, lower than {t('soa_minimum_min'):.0f}",
            args={"minimum": str(soa.minimum)},
        )


def zone09(c: Collected, out: Out) -> None:
    """ZONE09: MX records (or a null MX) the same at every server; none at a TLD."""
    sets: dict[frozenset[str], list[str]] = defaultdict(list)
    records = {}
    for a in sorted(c.soa):
        if not authoritative(c.soa[a]):
            continue
        answer = c.more.get(("mx", a))
        if answer is None:
            continue
        if not answer.ok and lossy(c, a):
            continue  # a lost answer of a lossy server: DNSCC_LOSSY's finding
        if not answer.ok:
            out.add(
                "ZONE09",
                "Z09_NO_RESPONSE_MX_QUERY",
                f"{a} does not answer the MX query",
                [ev(answer)],
                server=a,
            )
            continue
        if answer.rcode != dns.rcode.NOERROR:
            out.add(
                "ZONE09",
                "Z09_UNEXPECTED_RCODE_MX",
                f"{a} answers the MX query with {rcode_text(answer.rcode)}",
                [ev(answer)],
                server=a,
            )
            continue
        if not answer.aa:
            out.add(
                "ZONE09",
                "Z09_NON_AUTH_MX_RESPONSE",
                f"{a} answers the MX query without authority",
                [ev(answer)],
                server=a,
            )
            continue
        found = rrset(answer, c.zone, dns.rdatatype.MX)
        key = frozenset(rd.to_text().lower() for rd in found) if found else frozenset()
        sets[key].append(a)
        records[key] = found
    if not sets:
        return
    with_mx = [k for k in sets if k]
    if with_mx and frozenset() in sets:
        out.add(
            "ZONE09",
            "Z09_INCONSISTENT_MX",
            f"some servers have MX records ({few(a for k in with_mx for a in sets[k])}), "
            f"others none ({few(sets[frozenset()])})",
        )
        return
    if len(with_mx) > 1:
        out.add("ZONE09", "Z09_INCONSISTENT_MX_DATA", "the MX records differ between servers")
        return
    if with_mx:
        found = records[with_mx[0]]
        assert found is not None
        nulls = [rd for rd in found if rd.exchange == dns.name.root]
        if nulls and len(found) > 1:
            out.add("ZONE09", "Z09_NULL_MX_WITH_OTHER_MX", "a null MX is published with other MX")
        if any(rd.preference != 0 for rd in nulls):
            out.add("ZONE09", "Z09_NULL_MX_NON_ZERO_PREF", "the null MX has a preference above 0")
        if not nulls:
            if c.zone == dns.name.root:
                out.add("ZONE09", "Z09_ROOT_EMAIL_DOMAIN", "the root zone publishes MX records")
            elif len(c.zone.labels) == 2:
                out.add(
                    "ZONE09",
                    "Z09_TLD_EMAIL_DOMAIN",
                    "a TLD publishes MX records (mail to addresses at a TLD is unreliable)",
                )
        return
    if c.zone != dns.name.root and len(c.zone.labels) > 2 and not out.zone.endswith(".arpa."):
        out.add("ZONE09", "Z09_MISSING_MAIL_TARGET", "the zone has no MX and no null MX")


def zone10(c: Collected, out: Out) -> None:
    """ZONE10: exactly one SOA record."""
    apex = c.zone.to_text().lower()
    for a in sorted(c.soa):
        answer = c.soa[a]
        if not authoritative(answer):
            continue
        # Counted on the wire: a full parse keeps one record of a singleton type like SOA.
        try:
            records = wire.answer_records(answer.wire or b"")
        except wire.WireError:
            continue
        count = sum(1 for owner, t in records if owner == apex and t == dns.rdatatype.SOA)
        if count > 1:
            out.add(
                "ZONE10",
                "MULTIPLE_SOA",
                f"{a} answers {count} SOA records",
                [ev(answer)],
                server=a,
            )


def zone11(c: Collected, out: Out) -> None:
    """ZONE11: one SPF policy (v=spf1 TXT), the same at every server, syntactically sane."""
    policies: dict[str, list[str]] = defaultdict(list)
    for a in sorted(c.soa):
        answer = c.more.get(("txt", a))
        if answer is None or not authoritative(answer):
            continue
        found = rrset(answer, c.zone, dns.rdatatype.TXT)
        spf = [
            b"".join(rd.strings).decode("utf-8", "replace")
            for rd in (found or [])
            if b"".join(rd.strings).lower().startswith(b"v=spf1")
        ]
        if len(spf) > 1:
            out.add(
                "ZONE11",
                "Z11_SPF1_MULTIPLE_RECORDS",
                f"{a} publishes {len(spf)} SPF policies",
                [ev(answer)],
                server=a,
            )
        policies[" | ".join(sorted(spf))].append(a)
        for p in spf:
            terms = p.split()[1:]
            if any(not _spf_term(t) for t in terms):
                out.add(
                    "ZONE11",
                    "Z11_SPF1_SYNTAX_ERROR",
                    f"the SPF policy {p[:80]!r} has a syntax error",
                    [ev(answer)],
                    server=a,
                )
                break
    if len(policies) > 1:
        out.add(
            "ZONE11", "Z11_INCONSISTENT_SPF_POLICIES", "the SPF policies differ between servers"
        )


def _spf_term(term: str) -> bool:
    t = term.lstrip("+-~?").lower()
    mechanisms = ("all", "include:", "a", "mx", "ptr", "ip4:", "ip6:", "exists:")
    return (
        t == "all"
        or t.startswith(mechanisms)
        or t.startswith(("redirect=", "exp="))
        or ("=" in t and t.split("=", 1)[0].isalnum())
    )


CHECKS = (zone01_07, zone02_06, zone09, zone10, zone11)
