"""Whom must we notify? Domain name, TLD or IP address -> responsible organisations.

The index is a handful of dicts built from the directory in one pass and kept in memory:
a lookup is a normalisation plus two dict gets, so it serves bulk work (a campaign's
50,000 names) at memory speed. Changes in this process invalidate it at once (signals);
other processes rebuild after at most REFRESH_SECONDS.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from dnscc.core.errors import InputError, Location
from dnscc.core.names import normalize_name
from dnscc.core.tlp import TLP, Labelled, Viewer, can_see

REFRESH_SECONDS = 30.0


@dataclass(frozen=True)
class OrgRef:
    id: int
    slug: str
    name: str
    kind: str
    tlp: str = "AMBER"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "slug": self.slug, "name": self.name, "kind": self.kind}


@dataclass(frozen=True)
class LookupResult:
    query: str
    kind: str  # "domain", "tld", "root" or "ip"
    normalized: str
    tld: str | None
    organizations: tuple[OrgRef, ...]
    name_server_of: tuple[str, ...] = ()
    known: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "kind": self.kind,
            "normalized": self.normalized,
            "tld": self.tld,
            "known": self.known,
            "organizations": [o.as_dict() for o in self.organizations],
            "name_server_of": list(self.name_server_of),
        }


@dataclass
class LookupIndex:
    tld_orgs: dict[str, tuple[OrgRef, ...]] = field(default_factory=dict)
    root_orgs: tuple[OrgRef, ...] = ()
    ip_tlds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ip_orgs: dict[str, tuple[OrgRef, ...]] = field(default_factory=dict)
    host_tlds: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def lookup(self, query: str) -> LookupResult:
        text = query.strip()
        if not text:
            raise InputError(
                "empty query",
                location=Location(field="query"),
                hint="give a domain name, a TLD or an IP address",
            )
        if ":" in text or text[-1].isdigit():
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                pass
            else:
                ip = address.compressed
                return LookupResult(
                    query=query,
                    kind="ip",
                    normalized=ip,
                    tld=None,
                    organizations=self.ip_orgs.get(ip, ()),
                    name_server_of=self.ip_tlds.get(ip, ()),
                    known=ip in self.ip_orgs,
                )
        if text.startswith(".") and text != ".":
            text = text[1:]  # ".de" is how people write a TLD (and how the portal shows one)
        name = normalize_name(text)
        if name == "":
            return LookupResult(query, "root", "", None, self.root_orgs, known=True)
        dot = name.rfind(".")
        tld = name if dot < 0 else name[dot + 1 :]
        orgs = self.tld_orgs.get(tld)
        return LookupResult(
            query=query,
            kind="tld" if dot < 0 else "domain",
            normalized=name,
            tld=tld,
            organizations=orgs or (),
            name_server_of=self.host_tlds.get(name, ()),
            known=orgs is not None,
        )


def build_index() -> LookupIndex:
    from dnscc.directory.models import Organization, RootServer, Tld

    orgs = {
        o.pk: OrgRef(o.pk, o.slug, o.name, o.kind, o.tlp)
        for o in Organization.objects.only("id", "slug", "name", "kind", "tlp")
    }
    index = LookupIndex()
    ip_tlds: dict[str, set[str]] = defaultdict(set)
    ip_orgs: dict[str, set[OrgRef]] = defaultdict(set)
    host_tlds: dict[str, set[str]] = defaultdict(set)
    for name, operator_id, ns, glue in Tld.objects.filter(delegated=True).values_list(
        "name", "operator_id", "ns", "glue"
    ):
        ref = orgs.get(operator_id) if operator_id else None
        index.tld_orgs[name] = (ref,) if ref else ()
        for host in ns:
            host_tlds[host].add(name)
            for address in glue.get(host, ()):
                ip_tlds[address].add(name)
                if ref:
                    ip_orgs[address].add(ref)
    root: list[OrgRef] = []
    for server in RootServer.objects.all():
        ref = orgs[server.operator_id]
        if ref not in root:
            root.append(ref)
        for address in server.addresses:
            ip_orgs[address].add(ref)
    index.root_orgs = tuple(root)
    index.ip_tlds = {k: tuple(sorted(v)) for k, v in ip_tlds.items()}
    index.ip_orgs = {k: tuple(sorted(v, key=lambda o: o.name)) for k, v in ip_orgs.items()}
    index.host_tlds = {k: tuple(sorted(v)) for k, v in host_tlds.items()}
    return index


_lock = threading.Lock()
_state: dict[str, Any] = {"index": None, "built": 0.0}


def get_index() -> LookupIndex:
    index = _state["index"]
    if index is None or time.monotonic() - _state["built"] > REFRESH_SECONDS:
        with _lock:
            index = build_index()
            _state["index"], _state["built"] = index, time.monotonic()
    return index  # type: ignore[no-any-return]


def invalidate(**_: Any) -> None:
    _state["index"] = None


def lookup(query: str) -> LookupResult:
    return get_index().lookup(query)


def lookup_for(viewer: Viewer, query: str) -> LookupResult:
    """A lookup showing only the organisations the viewer may see (TLP)."""
    result = get_index().lookup(query)
    # No shortcut for staff: TLP gives them no implicit access to RED (core.tlp).
    shown = tuple(
        o
        for o in result.organizations
        if can_see(viewer, Labelled(tlp=TLP(o.tlp), owner_organization_id=o.id))
    )
    return replace(result, organizations=shown)


def connect_invalidation() -> None:
    from django.db.models.signals import post_delete, post_save

    from dnscc.directory.models import Organization, RootServer, Tld

    for model in (Organization, RootServer, Tld):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"lookup-{model.__name__}-save")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"lookup-{model.__name__}-del")
