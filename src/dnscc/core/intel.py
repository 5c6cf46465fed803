"""Reading partners' intelligence, streamed: STIX 2.1 bundles and MISP events. Pure code.

Both readers walk the JSON with ijson (its C backend) and yield one record at a time, so a
bundle of 100,000 objects or a MISP event of 100,000 attributes never sits in memory whole:

    Observation   a domain name or IP address to act on, with the TLP it was marked with
    Marking       a marking definition met in the bundle (resolved by the caller at the end,
                  since an object may name a marking defined later in the stream)
    EventEnd      the end of a MISP event: its own TLP tags and distribution
    Kept          an object that is not an indicator, kept as it came (policy "keep")
    Rejected      an object refused, with where and why (never an exception)

Markings: an object whose refs name no known TLP marking gets `tlp=None`; one that names a
marking nobody defines gets `unknown_marking` and is treated as TLP:RED by the caller (the
strictest). Markings never lower: the caller keeps the maximum of every label it meets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import ijson

from dnscc.core import stix
from dnscc.core.errors import InputError, Location
from dnscc.core.names import normalize_ip, normalize_name
from dnscc.core.tlp import TLP

__all__ = [
    "EventEnd",
    "Kept",
    "Marking",
    "Observation",
    "Rejected",
    "read_misp",
    "read_stix",
]

KEEP, REJECT = "keep", "reject"
POLICIES = (KEEP, REJECT)

STIX_TYPES = frozenset(
    (
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
        "relationship",
        "sighting",
        "marking-definition",
        "language-content",
        "extension-definition",
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    )
)
"""The object types STIX 2.1 defines; any other type is custom."""


@dataclass(frozen=True)
class Observation:
    kind: str  # stix.DOMAIN or stix.IP
    value: str
    ref: str  # the source object (STIX id, MISP attribute uuid)
    tlp: TLP | None = None
    pending_marking: str = ""  # a ref to a marking not (yet) known: resolved at the end
    unknown_marking: bool = False
    event: str = ""  # MISP: the event it belongs to


@dataclass(frozen=True)
class Marking:
    id: str
    tlp: TLP | None


@dataclass(frozen=True)
class EventEnd:
    key: str  # event-N: the Nth event of the document (Observation.event)
    uuid: str
    info: str
    tlp: TLP | None
    may_forward: bool


@dataclass(frozen=True)
class Kept:
    ref: str
    type: str
    obj: dict[str, Any]
    custom: bool = False


@dataclass(frozen=True)
class Rejected:
    index: int
    ref: str
    reason: str


class Readable(Protocol):
    """Anything with read(size) -> bytes: a file, an upload, a hashing wrapper."""

    def read(self, size: int = -1, /) -> bytes: ...


Record = Observation | Marking | EventEnd | Kept | Rejected


class _Counting:
    """A read-only stream that refuses to read past `limit` bytes (counted as read)."""

    def __init__(self, raw: Readable, limit: int | None, name: str) -> None:
        self.raw, self.limit, self.name, self.read_bytes = raw, limit, name, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.read_bytes += len(data)
        if self.limit is not None and self.read_bytes > self.limit:
            raise InputError(
                f"the file is over the limit of {self.limit:,} bytes",
                location=Location(file=self.name),
                hint="split it, or raise DNSCC_SHARING_IMPORT_MAX_BYTES",
            )
        return data


def _json_error(name: str, index: int, exc: Exception) -> InputError:
    return InputError(
        f"the JSON is malformed after object {index}: {exc}",
        location=Location(file=name),
        hint="send a complete STIX 2.1 bundle or MISP JSON document",
    )


# --- STIX ----------------------------------------------------------------------------------


def _custom(obj: dict[str, Any]) -> bool:
    return any(k.startswith(("x_", "x-")) for k in obj)


def _values_of_pattern(pattern: str) -> tuple[list[tuple[str, str]], str]:
    """The (kind, value) comparisons of a pattern on domains and addresses, or an error."""
    if not pattern.strip():
        # stix2patterns' validator fails with UnboundLocalError on an empty pattern (found
        # by the property test): say it here instead.
        return [], "the pattern is empty"
    simple = stix.simple_pattern_value(pattern)
    if simple is not None:
        return [simple], ""
    from stix2patterns.pattern import Pattern
    from stix2patterns.validator import run_validator

    errors = run_validator(pattern, stix_version="2.1")
    if errors:
        return [], "invalid pattern: " + "; ".join(str(e) for e in errors)[:200]
    found: list[tuple[str, str]] = []
    comparisons = Pattern(pattern).inspect().comparisons
    for sco, kind in (("domain-name", stix.DOMAIN), ("ipv4-addr", stix.IP), ("ipv6-addr", stix.IP)):
        for path, op, literal in comparisons.get(sco, []):
            if path == ["value"] and op == "=" and literal.startswith("'"):
                found.append((kind, literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")))
    return found, ""


def _observation(
    kind: str, raw: Any, ref: str, refs: list[Any], defined: dict[str, TLP | None]
) -> Observation:
    value = normalize_ip(str(raw)) if kind == stix.IP else normalize_name(str(raw))
    if not value:
        raise InputError("the root is not an indicator")
    label = stix.tlp_of_refs(refs, {k: v for k, v in defined.items() if v is not None})
    pending = ""
    unknown = False
    unresolved = [
        str(r) for r in refs if str(r) not in stix.KNOWN_MARKINGS and str(r) not in defined
    ]
    if unresolved:
        if len(unresolved) == 1:
            pending = unresolved[0][:100]  # may be defined later in the bundle
        else:
            unknown = True
    # A marking defined in the bundle as something other than TLP says nothing about TLP.
    return Observation(kind, value, ref, label, pending, unknown)


def read_stix(
    stream: Readable,
    *,
    name: str = "bundle",
    policy: str = KEEP,
    limit: int | None = None,
    envelope: bool = False,
) -> Iterator[Record]:
    """Records of a STIX 2.1 bundle, object by object. `policy` decides what happens to
    objects of unknown (custom) types and objects with custom properties: kept or rejected.
    A document that is not a bundle raises InputError (after its objects were read, when
    its "type" comes last: the caller's transaction makes that all or nothing). With
    `envelope`, a TAXII envelope ({"more", "next", "objects"}) is read instead."""
    if policy not in POLICIES:
        raise InputError(f"unknown policy {policy!r}", location=Location(field="policy"))
    counted = _Counting(stream, limit, name)
    defined: dict[str, TLP | None] = {}
    index = -1
    doc_type: str | None = None
    has_objects = False
    builder: Any = None
    try:
        for prefix, event, value in ijson.parse(counted, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == "objects.item" and event in ("end_map", "end_array"):
                    index += 1
                    yield from _stix_object(builder.value, index, defined, policy)
                    builder = None
                continue
            if prefix == "objects.item":
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                else:
                    index += 1
                    yield Rejected(index, "", "not a STIX object (no type)")
            elif prefix == "type":
                doc_type = str(value)
            elif prefix == "objects" and event == "start_array":
                has_objects = True
    except ijson.JSONError as exc:
        raise _json_error(name, index + 1, exc) from None
    if not envelope and doc_type != "bundle":
        raise InputError(
            f"the document's type is {doc_type!r}, not 'bundle'",
            location=Location(file=name, field="type"),
            hint="send a STIX 2.1 bundle: {'type': 'bundle', 'id': ..., 'objects': [...]}",
        )
    if not has_objects:
        raise InputError(
            "the bundle has no objects array", location=Location(file=name, field="objects")
        )


def _stix_object(
    obj: Any, index: int, defined: dict[str, TLP | None], policy: str
) -> Iterator[Record]:
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        yield Rejected(index, "", "not a STIX object (no type)")
        return
    kind = obj["type"]
    ref = str(obj.get("id", ""))[:120]
    if not ref.startswith(f"{kind}--"):
        yield Rejected(index, ref, f"its id {ref!r} does not start with {kind}--")
        return
    custom = kind not in STIX_TYPES or _custom(obj)
    if custom and policy == REJECT:
        what = "unknown object type" if kind not in STIX_TYPES else "custom properties"
        yield Rejected(index, ref, f"{what} (policy: reject)")
        return
    refs = obj.get("object_marking_refs") or []
    if not isinstance(refs, list):
        yield Rejected(index, ref, "object_marking_refs is not a list")
        return
    if kind == "marking-definition":
        label = stix.tlp_of_marking(obj)
        defined[ref] = label
        yield Marking(ref, label)
        return
    if kind == "indicator":
        pattern = obj.get("pattern")
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            yield Kept(ref, kind, obj, custom)
            return
        values, error = _values_of_pattern(pattern)
        if error:
            yield Rejected(index, ref, error)
            return
        if not values:
            yield Kept(ref, kind, obj, custom)
            return
        for value_kind, value in values:
            try:
                yield _observation(value_kind, value, ref, refs, defined)
            except InputError as exc:
                yield Rejected(index, ref, f"{value!r}: {exc.problem}")
        return
    if kind in ("domain-name", "ipv4-addr", "ipv6-addr"):
        value_kind = stix.DOMAIN if kind == "domain-name" else stix.IP
        try:
            yield _observation(value_kind, obj.get("value", ""), ref, refs, defined)
        except InputError as exc:
            yield Rejected(index, ref, f"{obj.get('value')!r}: {exc.problem}")
        return
    yield Kept(ref, kind, obj, custom)


# --- MISP ----------------------------------------------------------------------------------

_MISP_TLP = re.compile(r"^tlp:\s*(clear|white|green|amber\+strict|amber|red)$", re.IGNORECASE)
_DOMAIN_TYPES = {"domain", "hostname"}
_IP_TYPES = {"ip-dst", "ip-src"}
_PAIR_TYPES = {"domain|ip": (stix.DOMAIN, stix.IP), "hostname|port": (stix.DOMAIN, "")}


def misp_tlp(tags: Any) -> TLP | None:
    """The strictest TLP among MISP tags ([{"name": "tlp:amber"}, ...]), or None."""
    best: TLP | None = None
    for tag in tags if isinstance(tags, list) else []:
        name = tag.get("name") if isinstance(tag, dict) else None
        match = _MISP_TLP.match(str(name or "").strip())
        if match:
            label = TLP.parse(match.group(1))
            if best is None or label.rank > best.rank:
                best = label
    return best


def _misp_values(attr: dict[str, Any]) -> list[tuple[str, str]]:
    kind = str(attr.get("type", ""))
    value = str(attr.get("value", ""))
    if kind in _DOMAIN_TYPES:
        return [(stix.DOMAIN, value)]
    if kind in _IP_TYPES:
        return [(stix.IP, value)]
    if kind in ("ip-dst|port", "ip-src|port"):
        return [(stix.IP, value.rsplit("|", 1)[0])]
    if kind in _PAIR_TYPES:
        first, second = value.split("|", 1) if "|" in value else (value, "")
        kinds = _PAIR_TYPES[kind]
        return [(kinds[0], first)] + ([(kinds[1], second)] if kinds[1] and second else [])
    if kind == "url":
        from urllib.parse import urlsplit

        try:
            host = urlsplit(value if "://" in value else f"http://{value}").hostname or ""
        except ValueError:  # "http://[" (an unclosed IPv6 literal): found by the property test
            return []
        if host:
            try:
                return [(stix.IP, normalize_ip(host))]
            except InputError:
                return [(stix.DOMAIN, host)]
    return []


@dataclass
class _Event:
    key: str = ""
    uuid: str = ""
    info: str = ""
    tags: list[Any] = field(default_factory=list)
    distribution: int | None = None


def _strip(prefix: str) -> str:
    for head in ("response.item.", "item.", "response."):
        if prefix.startswith(head):
            return prefix[len(head) :]
    return prefix


_ATTRIBUTE_PATHS = ("Event.Attribute.item", "Event.Object.item.Attribute.item")


def read_misp(
    stream: Readable, *, name: str = "event", limit: int | None = None
) -> Iterator[Record]:
    """Records of MISP JSON: one event ({"Event": ...}, a feed's event file), a list of
    events, or an export ({"response": [...]}). Attributes become observations; at the end
    of each event an EventEnd gives its TLP tags and whether it may be forwarded
    (distribution 0, "your organisation only", may not)."""
    counted = _Counting(stream, limit, name)
    index = -1
    event = _Event()
    builder: Any = None
    building = ""
    events = 0
    try:
        for raw_prefix, kind, value in ijson.parse(counted, use_float=True):
            prefix = _strip(raw_prefix)
            if builder is not None:
                builder.event(kind, value)
                if prefix == building and kind in ("end_map", "end_array"):
                    index += 1
                    yield from _misp_item(building, builder.value, index, event)
                    builder = None
                continue
            if kind in ("start_map", "start_array") and (
                prefix in _ATTRIBUTE_PATHS or prefix == "Event.Tag"
            ):
                builder = ijson.ObjectBuilder()
                builder.event(kind, value)
                building = prefix
            elif prefix == "Event" and kind == "start_map":
                event = _Event(key=f"event-{events + 1}")
            elif prefix == "Event.uuid" and kind == "string":
                event.uuid = value[:64]
            elif prefix == "Event.info" and kind == "string":
                event.info = value[:300]
            elif prefix == "Event.distribution" and kind in ("string", "number"):
                try:
                    event.distribution = int(value)
                except (TypeError, ValueError):
                    event.distribution = None
            elif prefix == "Event" and kind == "end_map":
                events += 1
                label = misp_tlp(event.tags)
                yield EventEnd(
                    key=event.key,
                    uuid=event.uuid,
                    info=event.info,
                    tlp=label,
                    may_forward=event.distribution != 0
                    and (label is None or label.rank <= TLP.AMBER.rank),
                )
    except ijson.JSONError as exc:
        raise _json_error(name, index + 1, exc) from None
    if events == 0:
        raise InputError(
            "no MISP event found",
            location=Location(file=name, field="Event"),
            hint='send a MISP event ({"Event": {...}}), a list of them, or a MISP JSON export',
        )


def _misp_item(path: str, item: Any, index: int, event: _Event) -> Iterator[Record]:
    if path == "Event.Tag":
        if isinstance(item, list):
            event.tags.extend(item)
        return
    if not isinstance(item, dict):
        yield Rejected(index, "", "an attribute that is not an object")
        return
    ref = str(item.get("uuid", ""))[:64]
    values = _misp_values(item)
    if not values:
        yield Kept(ref, f"misp:{item.get('type', '?')}", item)
        return
    label = misp_tlp(item.get("Tag"))
    for kind, raw in values:
        try:
            value = normalize_ip(raw) if kind == stix.IP else normalize_name(raw)
            if not value:
                raise InputError("the root is not an indicator")
        except InputError as exc:
            yield Rejected(index, ref, f"{raw!r}: {exc.problem}")
            continue
        yield Observation(kind, value, ref, label, event=event.key)
