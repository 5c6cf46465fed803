"""Where the center may send packets: one check for every destination (DNSCC_PROBE_NETWORKS).

Every packet the process sends on its own initiative goes through `Policy.refusal` first:
the probe's DNS queries (monitoring sweeps, `dnscc probe`, campaign verification), the
webhook client, the mail sender, the root zone fetch (`dnscc import rootzone --url/--axfr`)
and the polls of partners' TAXII collections and MISP feeds (sharing).
A destination outside the allowed networks is never contacted; the caller records why
("not run: ..."), it does not skip silently.

The setting is a comma-separated list of networks and two words:

    public      public unicast addresses (ipaddress's `is_global`, multicast excluded): the
                Internet, without private, loopback, link-local, shared (100.64/10),
                documentation or reserved space
    loopback    127.0.0.0/8 and ::1
    CIDR        any network, e.g. 10.53.0.0/16 or 2001:db8:53::/48

Default: `loopback` in development mode (DNSCC_DEV=1), in the demo (a data directory holding
the demo's password file) and in tests; `public` in production. So a demo or a test never
sends a packet off the machine, and production queries only the Internet unless told more.

One exemption: the mail relay named by the configuration (DNSCC_SMTP_HOST) is where mail is
asked to go, wherever it is (usually loopback or a private address in production). The
webhook client adds its own narrowing on top (no private or loopback receivers in
production, DNSCC_WEBHOOK_ALLOW_PRIVATE), since its URLs come from data, not configuration.

Pure: reads the environment only. Django's settings install the policy they read, and tests
swap it with `using(policy)`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dnscc.core.errors import ConfigError, PermissionDenied
from dnscc.core.paths import data_dir

SETTING = "DNSCC_PROBE_NETWORKS"
DEMO_MARKER = "demo-password"  # written by `dnscc demo` into the data directory

PROBE = "probe"  # DNS queries: monitoring sweeps, dnscc probe, campaign verification
WEBHOOK = "webhook"
MAIL = "mail"
FETCH = "fetch"  # the root zone over HTTPS or AXFR, on request
FEED = "feed"  # partners' TAXII collections and MISP feeds polled by sharing
PURPOSES = (PROBE, WEBHOOK, MAIL, FETCH, FEED)
_WHAT = {
    PROBE: "DNS query",
    WEBHOOK: "webhook",
    MAIL: "mail",
    FETCH: "root zone fetch",
    FEED: "partner feed poll",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOOPBACK: tuple[Network, ...] = (
    ipaddress.IPv4Network("127.0.0.0/8"),
    ipaddress.IPv6Network("::1/128"),
)
_TRUE = {"1", "true", "yes", "on"}


class EgressRefused(PermissionDenied):
    """A destination outside the allowed networks: nothing was sent."""


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone index (fe80::1%eth0) is not IP
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:192.0.2.1 goes where 192.0.2.1 goes
    return ip


def is_public_unicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address of the Internet: globally reachable unicast (RFC 6890 registries)."""
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Policy:
    """The allowed networks, and where the setting came from (for messages)."""

    setting: str
    networks: tuple[Network, ...] = ()
    public: bool = False
    origin: str = SETTING
    relays: frozenset[str] = field(default_factory=frozenset)
    # Verdicts by address: the probe asks once per query, thousands of times per second.
    _seen: dict[str, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def describe(self) -> str:
        """The rule in words, as messages quote it: `DNSCC_PROBE_NETWORKS=loopback (...)`."""
        return f"{SETTING}={self.setting}" + ("" if self.origin == SETTING else f" ({self.origin})")

    def allows(self, address: str) -> bool:
        """Whether `address` (an IP address) lies in the allowed networks."""
        return _allows(self, address)

    def refusal(self, address: str, purpose: str = PROBE, *, host: str | None = None) -> str | None:
        """Why nothing may be sent to `address`, or None when it may. `host` is the name the
        address was found under; for mail, the configured relay is allowed wherever it is."""
        if purpose == MAIL and host is not None and host.lower().rstrip(".") in self.relays:
            return None
        try:
            allowed = _allows(self, address)
        except ValueError:
            return f"{address!r} is not an IP address"
        if allowed:
            return None
        return (
            f"{_WHAT.get(purpose, purpose)} to {address} refused: outside the networks the "
            f"center may send to ({self.describe()})"
        )

    def check(self, address: str, purpose: str = PROBE, *, host: str | None = None) -> None:
        """Raise EgressRefused (exit 77) when nothing may be sent to `address`."""
        why = self.refusal(address, purpose, host=host)
        if why:
            raise EgressRefused(
                why, hint=f"set {SETTING} to include it (e.g. public, or a network in CIDR)"
            )

    def split(self, addresses: Iterable[str]) -> tuple[list[str], list[str]]:
        """(allowed, refused), each in the order given."""
        allowed: list[str] = []
        refused: list[str] = []
        for address in addresses:
            try:
                (allowed if _allows(self, address) else refused).append(address)
            except ValueError:
                refused.append(address)
        return allowed, refused


def _allows(policy: Policy, address: str) -> bool:
    found = policy._seen.get(address)
    if found is None:
        ip = _ip(address)
        found = (policy.public and is_public_unicast(ip)) or any(
            ip.version == net.version and ip in net for net in policy.networks
        )
        if len(policy._seen) > 100_000:
            policy._seen.clear()
        policy._seen[address] = found
    return found


def parse(text: str, *, origin: str = SETTING, relays: Iterable[str] = ()) -> Policy:
    """A Policy from the setting's text. Raises ConfigError naming the bad item."""
    networks: list[Network] = []
    public = False
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ConfigError(
            f"{SETTING}={text!r} allows nothing",
            hint="give networks and words: public, loopback, 10.53.0.0/16 (comma-separated)",
        )
    for item in items:
        word = item.lower()
        if word == "public":
            public = True
        elif word == "loopback":
            networks.extend(_LOOPBACK)
        else:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ConfigError(
                    f"{SETTING}: {item!r} is not a network",
                    hint="use public, loopback, or CIDR such as 10.53.0.0/16 or 2001:db8::/32",
                ) from None
    return Policy(
        setting=",".join(items),
        networks=tuple(networks),
        public=public,
        origin=origin,
        relays=frozenset(r.lower().rstrip(".") for r in relays if r),
    )


def default_setting(*, dev: bool, demo: bool) -> tuple[str, str]:
    """(setting, origin) when DNSCC_PROBE_NETWORKS is not set."""
    if dev:
        return "loopback", "development mode default"
    if demo:
        return "loopback", "the demo's default"
    return "public", "production default"


def from_environment(environ: dict[str, str] | None = None) -> Policy:
    """The policy the environment asks for (DNSCC_PROBE_NETWORKS, DNSCC_DEV, the demo)."""
    env = dict(os.environ if environ is None else environ)
    relays = [env.get("DNSCC_SMTP_HOST", "localhost")]
    explicit = env.get(SETTING)
    if explicit is not None:
        return parse(explicit, relays=relays)
    dev = env.get("DNSCC_DEV", "").strip().lower() in _TRUE
    demo = (data_dir() / DEMO_MARKER).exists() if not dev else False
    text, origin = default_setting(dev=dev, demo=demo)
    return parse(text, origin=origin, relays=relays)


_installed: Policy | None = None


def install(policy: Policy | None) -> None:
    """Make `policy` the process's rule (Django's settings do it at start-up)."""
    global _installed
    _installed = policy


def current() -> Policy:
    """The process's rule: the installed one, else the environment's."""
    return _installed if _installed is not None else from_environment()


@contextlib.contextmanager
def using(policy: Policy) -> Iterator[Policy]:
    """The process's rule is `policy` for the duration (tests)."""
    global _installed
    before = _installed
    _installed = policy
    try:
        yield policy
    finally:
        _installed = before
