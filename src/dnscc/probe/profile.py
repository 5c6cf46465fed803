"""The probe profile: the severity of every finding (code and message tag) and the
thresholds, read from TOML.

The shipped `profile.toml` beside this module is the default; an operator's file replaces
values table by table (codes one by one, tags one by one). Unknown codes or tags and bad
severities fail loudly. It is the one source of severities: checks, the monitoring side
and the alert rules all ask it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dnscc.core.errors import InputError, Location
from dnscc.probe.model import SEVERITIES
from dnscc.probe.transport import TransportConfig

DEFAULT_PATH = Path(__file__).with_name("profile.toml")


@dataclass(frozen=True)
class CodeInfo:
    """One finding code: a Zonemaster test case (its message tags with their levels) or
    one of the center's own codes (one tag, the code itself)."""

    code: str
    severity: str  # the worst of its tags (what the code can at most be)
    meaning: str
    tags: dict[str, str] = field(default_factory=dict)  # tag -> severity

    @property
    def zonemaster(self) -> bool:
        return not self.code.startswith("DNSCC_")


@dataclass(frozen=True)
class Profile:
    codes: dict[str, CodeInfo]
    thresholds: dict[str, float]
    transport: TransportConfig = field(default_factory=TransportConfig)

    def severity(self, code: str, tag: str | None = None) -> str:
        """The severity of a finding: its tag's level, or the code's own."""
        info = self.codes[code]
        if tag is None or tag == code:
            return info.severity
        return info.tags[tag]

    def reported(self, severity: str) -> bool:
        """Whether findings of this severity are reported ("info" silences a tag)."""
        return SEVERITIES.index(severity) > 0

    def tag_code(self) -> dict[str, str]:
        """Message tag -> the code (test case) that reports it (first one for shared tags)."""
        out: dict[str, str] = {}
        for code, info in self.codes.items():
            for tag in info.tags or {code: info.severity}:
                out.setdefault(tag, code)
        return out

    def threshold(self, name: str) -> float:
        return self.thresholds[name]


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("profile not found", location=Location(file=str(path))) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"bad TOML: {exc}", location=Location(file=str(path))) from None


def load_profile(path: Path | str | None = None) -> Profile:
    """The shipped profile, with `path`'s values laid over it when given."""
    data = _read(DEFAULT_PATH)
    if path is not None:
        over = _read(Path(path))
        for table in ("transport", "thresholds"):
            data[table] = {**data.get(table, {}), **over.get(table, {})}
        for code, values in over.get("codes", {}).items():
            if code not in data["codes"]:
                raise InputError(
                    f"unknown finding code {code!r}",
                    location=Location(file=str(path), field=f"codes.{code}"),
                    hint=f"known codes: {', '.join(sorted(data['codes']))}",
                )
            known_tags = data["codes"][code].get("tags", {})
            bad_tags = set(values.get("tags", {})) - set(known_tags)
            if bad_tags:
                raise InputError(
                    f"unknown message tag(s) of {code}: {', '.join(sorted(bad_tags))}",
                    location=Location(file=str(path), field=f"codes.{code}.tags"),
                    hint=f"tags of {code}: {', '.join(sorted(known_tags)) or 'none'}",
                )
            merged = {**data["codes"][code], **values}
            merged["tags"] = {**known_tags, **values.get("tags", {})}
            data["codes"][code] = merged
    codes = {}
    for code, values in data["codes"].items():
        where = Location(file=str(path or DEFAULT_PATH), field=f"codes.{code}")
        tags = {str(t): str(v).lower() for t, v in values.get("tags", {}).items()}
        for tag, sev in tags.items():
            if sev not in SEVERITIES:
                raise InputError(
                    f"severity {sev!r} of {code}/{tag} is not one of {', '.join(SEVERITIES)}",
                    location=where,
                )
        sev = values.get("severity")
        if sev is None and tags:
            sev = max(tags.values(), key=SEVERITIES.index)
        if sev is None and not tags:
            sev = "info"  # a test case with nothing to report at the default levels
        if sev not in SEVERITIES:
            raise InputError(
                f"severity {sev!r} of {code} is not one of {', '.join(SEVERITIES)}",
                location=where,
            )
        codes[code] = CodeInfo(code, sev, values.get("meaning", ""), tags)
    known = set(TransportConfig.__dataclass_fields__)
    bad = set(data.get("transport", {})) - known
    if bad:
        raise InputError(
            f"unknown transport setting(s): {', '.join(sorted(bad))}",
            location=Location(file=str(path or DEFAULT_PATH), field="transport"),
        )
    transport = TransportConfig(**data.get("transport", {}))
    thresholds = {k: float(v) for k, v in data.get("thresholds", {}).items()}
    return Profile(codes=codes, thresholds=thresholds, transport=transport)
