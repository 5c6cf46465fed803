"""The incident taxonomy: RSIT classes, the center's DNS-specific types, severity.

RSIT is the Reference Security Incident Taxonomy kept by the CSIRTs Network / TF-CSIRT
(github.com/enisaeu/Reference-Security-Incident-Taxonomy-Task-Force). Every DNS type of the
center maps to one RSIT class and type, so an incident exported to a partner CSIRT carries a
classification its own tools understand; the DNS type says what a DNS coordinator needs.

Severity comes from impact and urgency (the ITIL priority matrix): a critical impact that
is urgent is critical; a low impact that can wait is low.

    >>> severity("high", "high")
    'critical'
    >>> severity("low", "medium")
    'low'
"""

from __future__ import annotations

from dataclasses import dataclass

from dnscc.core.errors import InputError, Location

__all__ = [
    "DNS_TYPES",
    "IMPACTS",
    "RSIT_CLASSES",
    "SEVERITIES",
    "URGENCIES",
    "DnsType",
    "check_dns_type",
    "check_level",
    "severity",
]

# RSIT classes and their types (the taxonomy's machine-readable values).
RSIT_CLASSES: dict[str, tuple[str, ...]] = {
    "abusive-content": ("spam", "harmful-speech", "violence"),
    "malicious-code": (
        "infected-system",
        "c2-server",
        "malware-distribution",
        "malware-configuration",
    ),
    "information-gathering": ("scanner", "sniffing", "social-engineering"),
    "intrusion-attempts": ("ids-alert", "brute-force", "exploit"),
    "intrusions": (
        "privileged-account-compromise",
        "unprivileged-account-compromise",
        "application-compromise",
        "system-compromise",
        "burglary",
    ),
    "availability": ("dos", "ddos", "misconfiguration", "sabotage", "outage"),
    "information-content-security": (
        "unauthorised-information-access",
        "unauthorised-information-modification",
        "data-loss",
        "data-leak",
    ),
    "fraud": ("unauthorised-use-of-resources", "copyright", "masquerade", "phishing"),
    "vulnerable": (
        "weak-crypto",
        "ddos-amplifier",
        "potentially-unwanted-accessible",
        "information-disclosure",
        "vulnerable-system",
    ),
    "other": ("other", "undetermined"),
    "test": ("test",),
}


@dataclass(frozen=True)
class DnsType:
    code: str
    label: str
    rsit_class: str
    rsit_type: str
    description: str


DNS_TYPES: dict[str, DnsType] = {
    t.code: t
    for t in (
        DnsType(
            "cache-poisoning",
            "Cache poisoning",
            "information-content-security",
            "unauthorised-information-modification",
            "Forged answers accepted by resolvers (Kaminsky-style or otherwise).",
        ),
        DnsType(
            "domain-hijack",
            "Domain or registrar-account hijack",
            "intrusions",
            "unprivileged-account-compromise",
            "A domain's delegation or registrar account taken over.",
        ),
        DnsType(
            "registry-compromise",
            "Registry compromise",
            "intrusions",
            "system-compromise",
            "A registry's systems or zone data under an attacker's control.",
        ),
        DnsType(
            "ddos-dns",
            "DDoS against DNS infrastructure",
            "availability",
            "ddos",
            "Name servers or resolvers made unavailable by traffic.",
        ),
        DnsType(
            "dnssec-failure",
            "DNSSEC failure or failed rollover",
            "availability",
            "misconfiguration",
            "Expired signatures, a DS matching no key, a broken algorithm or key rollover.",
        ),
        DnsType(
            "broken-delegation",
            "Broken delegation",
            "availability",
            "misconfiguration",
            "Lame, unreachable or inconsistent name servers, wrong glue.",
        ),
        DnsType(
            "dga-botnet",
            "DGA botnet command-and-control",
            "malicious-code",
            "c2-server",
            "Algorithmically generated names used for command and control (Conficker).",
        ),
        DnsType(
            "response-rewriting",
            "Response rewriting or wildcarding by a resolver operator",
            "information-content-security",
            "unauthorised-information-modification",
            "NXDOMAIN or other answers rewritten by a resolver.",
        ),
        DnsType(
            "zone-data-leak",
            "Zone data leak",
            "information-content-security",
            "data-leak",
            "Zone contents disclosed (open AXFR, leaked zone files).",
        ),
        DnsType(
            "root-server-anomaly",
            "Root server anomaly",
            "availability",
            "outage",
            "A root server instance unreachable, stale or answering wrongly.",
        ),
        DnsType(
            "malicious-registrations",
            "Malicious registrations",
            "fraud",
            "phishing",
            "Domains registered for phishing, malware or fraud.",
        ),
        DnsType(
            "other",
            "Other",
            "other",
            "undetermined",
            "Not yet classified.",
        ),
    )
}

IMPACTS = ("low", "medium", "high")
URGENCIES = ("low", "medium", "high")
SEVERITIES = ("low", "medium", "high", "critical")

# Priority matrix: row impact, column urgency.
_MATRIX: dict[tuple[str, str], str] = {
    ("high", "high"): "critical",
    ("high", "medium"): "high",
    ("high", "low"): "medium",
    ("medium", "high"): "high",
    ("medium", "medium"): "medium",
    ("medium", "low"): "low",
    ("low", "high"): "medium",
    ("low", "medium"): "low",
    ("low", "low"): "low",
}


def check_level(value: str, *, field: str, allowed: tuple[str, ...] = IMPACTS) -> str:
    text = (value or "").strip().lower()
    if text not in allowed:
        raise InputError(
            f"{field} must be one of {', '.join(allowed)}, not {value!r}",
            location=Location(field=field),
        )
    return text


def severity(impact: str, urgency: str) -> str:
    """The severity of an incident of this impact and urgency (the priority matrix)."""
    return _MATRIX[(check_level(impact, field="impact"), check_level(urgency, field="urgency"))]


def check_dns_type(code: str) -> DnsType:
    text = (code or "").strip().lower()
    found = DNS_TYPES.get(text)
    if found is None:
        raise InputError(
            f"unknown incident type {code!r}",
            location=Location(field="type"),
            hint="one of " + ", ".join(DNS_TYPES),
        )
    return found
