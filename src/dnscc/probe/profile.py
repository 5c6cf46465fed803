"""The probe profile: severities per finding code and thresholds, read from TOML.

The shipped `profile.toml` beside this module is the default; an operator's file replaces
values table by table (codes one by one). Unknown codes and bad severities fail loudly.
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
    code: str
    severity: str
    meaning: str
    zonemaster: str


@dataclass(frozen=True)
class Profile:
    codes: dict[str, CodeInfo]
    thresholds: dict[str, float]
    transport: TransportConfig = field(default_factory=TransportConfig)

    def severity(self, code: str) -> str:
        return self.codes[code].severity

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
            data["codes"][code] = {**data["codes"][code], **values}
    codes = {}
    for code, values in data["codes"].items():
        sev = values.get("severity")
        if sev not in SEVERITIES:
            raise InputError(
                f"severity {sev!r} of {code} is not one of {', '.join(SEVERITIES)}",
                location=Location(file=str(path or DEFAULT_PATH), field=f"codes.{code}"),
            )
        codes[code] = CodeInfo(code, sev, values.get("meaning", ""), values.get("zonemaster", ""))
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
