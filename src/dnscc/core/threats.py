"""The threat catalogue: threat sources and threat events in the vocabulary of NIST SP 800-30
Rev. 1 (Appendix D, Table D-2: source types; Appendix E, Table E-4: relevance), read from
TOML and checked. Pure: the Django side (dnscc.risk) stores what this returns.

    [sources.ID]  type, subtype, name, description
    [events.ID]   name, description, sources, relevance, incident_types, probe_codes,
                  asset_kinds, reference, retired

Identifiers are stable (risks, assessments and exercise scenarios name them): lower case
letters, digits and hyphens. Every problem is reported with its table and field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from dnscc.core.errors import InputError, Location, ValidationErrors

__all__ = [
    "ASSET_KINDS",
    "RELEVANCE",
    "SOURCE_TYPES",
    "Catalogue",
    "ThreatEvent",
    "ThreatSource",
    "check_identifier",
    "parse_catalogue",
]

# 800-30 Table D-2: the four types of threat source.
SOURCE_TYPES: tuple[str, ...] = ("adversarial", "accidental", "structural", "environmental")
# 800-30 Table E-4: relevance of a threat event, most relevant first.
RELEVANCE: tuple[str, ...] = ("confirmed", "expected", "anticipated", "predicted", "possible")
# What a risk can be directed at (dnscc.risk assets).
ASSET_KINDS: tuple[str, ...] = (
    "root_zone",
    "root_server_system",
    "tld",
    "registry",
    "backend_provider",
    "registrar",
    "resolver_operator",
    "center",
)

_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class ThreatSource:
    id: str
    type: str
    subtype: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class ThreatEvent:
    id: str
    name: str
    description: str
    sources: tuple[str, ...]
    relevance: str
    incident_types: tuple[str, ...] = ()
    probe_codes: tuple[str, ...] = ()
    asset_kinds: tuple[str, ...] = ()
    reference: str = ""
    retired: bool = False


@dataclass(frozen=True)
class Catalogue:
    version: int
    sources: dict[str, ThreatSource] = field(default_factory=dict)
    events: dict[str, ThreatEvent] = field(default_factory=dict)


def check_identifier(value: object, *, field: str) -> str:
    """A stable catalogue identifier: lower-case letters, digits, inner hyphens, 1-64."""
    text = str(value or "").strip()
    if not _ID.match(text):
        raise InputError(
            f"{text!r} is not a catalogue identifier",
            location=Location(field=field),
            hint="use lower-case letters, digits and hyphens, e.g. cache-poisoning",
        )
    return text


def _text(table: dict[str, Any], key: str, where: str, errors: list[InputError]) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or "\x00" in value:
        errors.append(InputError("must be text", location=Location(field=f"{where}.{key}")))
        return ""
    return value.strip()


def _list(table: dict[str, Any], key: str, where: str, errors: list[InputError]) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(
            InputError("must be a list of text", location=Location(field=f"{where}.{key}"))
        )
        return []
    return [v.strip() for v in value]


def parse_catalogue(
    text: str,
    *,
    file: str = "catalogue.toml",
    incident_types: Collection[str],
    probe_codes: Collection[str],
    known_sources: Collection[str] = (),
) -> Catalogue:
    """Parse and check a catalogue. `incident_types` and `probe_codes` are what the center
    knows (an event may only name those); `known_sources` are sources already stored, which
    a file of extra events may refer to without defining them again. Raises
    ValidationErrors listing every problem, with its table and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"bad TOML: {exc}", location=Location(file=file)) from None
    errors: list[InputError] = []
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append(
            InputError("must be a positive integer", location=Location(file, None, "version"))
        )
        version = 1
    unknown = set(data) - {"version", "sources", "events"}
    for key in sorted(unknown):
        errors.append(InputError("unknown table", location=Location(file, None, key)))

    sources: dict[str, ThreatSource] = {}
    for sid, table in (data.get("sources") or {}).items():
        where = f"sources.{sid}"
        try:
            check_identifier(sid, field=where)
        except InputError as exc:
            errors.append(InputError(exc.problem, location=Location(file, None, where)))
            continue
        if not isinstance(table, dict):
            errors.append(InputError("must be a table", location=Location(file, None, where)))
            continue
        kind = _text(table, "type", where, errors)
        if kind not in SOURCE_TYPES:
            errors.append(
                InputError(
                    f"type {kind!r} is not an 800-30 threat source type",
                    location=Location(file, None, f"{where}.type"),
                    hint="one of " + ", ".join(SOURCE_TYPES),
                )
            )
        name = _text(table, "name", where, errors)
        if not name:
            errors.append(
                InputError("a name is required", location=Location(file, None, f"{where}.name"))
            )
        sources[sid] = ThreatSource(
            sid,
            kind,
            _text(table, "subtype", where, errors),
            name,
            _text(table, "description", where, errors),
        )

    source_ids = set(sources) | set(known_sources)
    events: dict[str, ThreatEvent] = {}
    for eid, table in (data.get("events") or {}).items():
        where = f"events.{eid}"
        try:
            check_identifier(eid, field=where)
        except InputError as exc:
            errors.append(InputError(exc.problem, location=Location(file, None, where)))
            continue
        if not isinstance(table, dict):
            errors.append(InputError("must be a table", location=Location(file, None, where)))
            continue
        name = _text(table, "name", where, errors)
        if not name:
            errors.append(
                InputError("a name is required", location=Location(file, None, f"{where}.name"))
            )
        srcs = _list(table, "sources", where, errors)
        if not srcs:
            errors.append(
                InputError(
                    "names no threat source", location=Location(file, None, f"{where}.sources")
                )
            )
        for s in srcs:
            if s not in source_ids:
                errors.append(
                    InputError(
                        f"unknown threat source {s!r}",
                        location=Location(file, None, f"{where}.sources"),
                    )
                )
        relevance = _text(table, "relevance", where, errors) or "possible"
        if relevance not in RELEVANCE:
            errors.append(
                InputError(
                    f"relevance {relevance!r} is not an 800-30 relevance",
                    location=Location(file, None, f"{where}.relevance"),
                    hint="one of " + ", ".join(RELEVANCE),
                )
            )
        types = _list(table, "incident_types", where, errors)
        for t in types:
            if t not in incident_types:
                errors.append(
                    InputError(
                        f"unknown incident type {t!r}",
                        location=Location(file, None, f"{where}.incident_types"),
                    )
                )
        codes = _list(table, "probe_codes", where, errors)
        for c in codes:
            if c not in probe_codes:
                errors.append(
                    InputError(
                        f"unknown probe code {c!r}",
                        location=Location(file, None, f"{where}.probe_codes"),
                    )
                )
        kinds = _list(table, "asset_kinds", where, errors)
        for k in kinds:
            if k not in ASSET_KINDS:
                errors.append(
                    InputError(
                        f"unknown asset kind {k!r}",
                        location=Location(file, None, f"{where}.asset_kinds"),
                        hint="one of " + ", ".join(ASSET_KINDS),
                    )
                )
        retired = table.get("retired", False)
        if not isinstance(retired, bool):
            errors.append(
                InputError(
                    "must be true or false", location=Location(file, None, f"{where}.retired")
                )
            )
            retired = False
        events[eid] = ThreatEvent(
            id=eid,
            name=name,
            description=_text(table, "description", where, errors),
            sources=tuple(srcs),
            relevance=relevance,
            incident_types=tuple(types),
            probe_codes=tuple(codes),
            asset_kinds=tuple(kinds),
            reference=_text(table, "reference", where, errors),
            retired=retired,
        )
    if errors:
        raise ValidationErrors(errors)
    return Catalogue(version=version, sources=sources, events=events)
