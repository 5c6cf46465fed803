"""Scenario and plan files: TOML, checked against a JSON schema (scenarios/schema.json) and
then for what a schema cannot say, every problem reported with its file and line.

A scenario is the master scenario events list of one threat (HSEEP's MSEL): parameters,
the default mix of simulated operators, and injects on a timeline (`at = "T+90s"`). It
names the threat events of the risk catalogue it exercises (their stable identifiers,
dnscc/risk/catalogue.toml). A plan is a center's answer to one scenario: roles, steps (each
linked to one of the center's own actions), decision points, a contact tree and message
templates. Both are plain files so that centers can share them.

No Django here: `load_scenario(text)` and `load_plan(text)` return plain dicts, or raise
ValidationErrors (each InputError with file, line and field).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from dnscc.core.errors import InputError, Location, NotFoundError, ValidationErrors

__all__ = [
    "ACTIONS",
    "INJECT_KINDS",
    "OPERATOR_BEHAVIOURS",
    "SCENARIO_DIR",
    "Located",
    "affected_index",
    "load_plan",
    "load_scenario",
    "parse_time",
    "plan_file",
    "read_scenario_file",
    "scenario_files",
]

SCENARIO_DIR = Path(__file__).with_name("scenarios")
PLAN_DIR = Path(__file__).with_name("plans")
SCHEMA_FILE = SCENARIO_DIR / "schema.json"

# What an inject may do, and the center actions a plan step may take.
INJECT_KINDS = (
    "report",
    "alert",
    "registry_mail",
    "lab.fault",
    "lab.clear",
    "lab.register",
    "note",
)
ACTIONS = (
    "open_incident",
    "notify_parties",
    "start_campaign",
    "deliver_campaign",
    "verify_campaign",
    "publish_advisory",
    "decide",
    "call_tree",
)
# Actions the runner can take by itself in an unattended exercise (the others are a
# person's: a decision, phone calls, an advisory that would be public).
AUTOMATIC_ACTIONS = (
    "open_incident",
    "notify_parties",
    "start_campaign",
    "deliver_campaign",
    "verify_campaign",
)
OPERATOR_BEHAVIOURS = ("ack_portal", "ack_api", "ack_mail", "comply", "silent")

_TIME = re.compile(r"^T\+(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$")
_ANCHORED = re.compile(r"^([a-z_.]+)\+(.+)$")
_TLD_REF = re.compile(r"^(affected(?::\d+)?|[a-z0-9-]{1,63})$")


@dataclass
class Located:
    """Where things are in a TOML text: the line of each table header and key."""

    text: str
    file: str
    headers: dict[str, list[int]] = field(default_factory=dict)  # "[[injects]]" -> lines
    keys: list[tuple[int, str, str]] = field(default_factory=list)  # (line, table, key)

    @classmethod
    def of(cls, text: str, file: str) -> Located:
        found = cls(text, file)
        table = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            header = re.match(r"^\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?", line)
            if header:
                table = header.group(1)
                found.headers.setdefault(table, []).append(number)
                continue
            key = re.match(r"^([A-Za-z0-9_\-]+)\s*=", line)
            if key:
                found.keys.append((number, table, key.group(1)))
        return found

    def line(self, table: str, index: int | None = None, key: str | None = None) -> int | None:
        """The line of `table` (its index-th block for an array of tables), or of `key` in
        it; None when the text does not show it."""
        starts = self.headers.get(table, [])
        if index is not None:
            if index >= len(starts):
                return None
            start = starts[index]
            end = starts[index + 1] if index + 1 < len(starts) else None
        else:
            start = starts[0] if starts else 0
            end = None
        if key is None:
            return start or None
        # The block ends at the next header of any table after `start`.
        following = sorted(n for lines in self.headers.values() for n in lines if n > start)
        stop = following[0] if following else None
        if end is not None and (stop is None or end < stop):
            stop = end
        for number, tab, name in self.keys:
            if tab == table and name == key and number > start and (stop is None or number < stop):
                return number
        return start or None

    def where(self, path: list[Any]) -> Location:
        """A JSON-schema error path ("injects", 3, "kind") as a file location."""
        if not path:
            return Location(self.file, None, None)
        table = str(path[0])
        index = path[1] if len(path) > 1 and isinstance(path[1], int) else None
        rest = path[2:] if index is not None else path[1:]
        key = str(rest[0]) if rest else None
        if table in self.headers:
            line = self.line(table, index, key)
            dotted = ".".join(str(p) for p in path)
            return Location(self.file, line, dotted)
        # A top-level key of a table we know nothing of: search the key itself.
        for number, _tab, name in self.keys:
            if name == table:
                return Location(self.file, number, table)
        return Location(self.file, None, ".".join(str(p) for p in path))


def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


def parse_time(value: Any) -> float:
    """Seconds from a scenario time: a number of seconds, or "T+90s", "T+5m", "T+1h30m"."""
    if isinstance(value, bool):
        raise ValueError("a time is a number of seconds or T+...")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a time cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _TIME.match(value.strip())
        if match and any(match.groups()):
            hours, minutes, seconds = match.groups()
            return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
        if value.strip() == "T+0":
            return 0.0
    raise ValueError(f"{value!r} is not a time (write T+90s, T+5m, T+1h30m or seconds)")


def _parse(text: str, file: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise InputError(
            f"not valid TOML: {exc}",
            location=Location(file, int(match.group(1)) if match else None, None),
        ) from None
    return data


def _schema_errors(data: dict[str, Any], definition: str, located: Located) -> list[InputError]:
    # Imported here, not at the top: jsonschema loads rfc3987-syntax's grammar (about 5 s),
    # which every process importing the URL configuration would otherwise pay at start.
    import jsonschema

    schema = _schema()
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]}
    )
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        message = error.message
        if error.validator == "enum" and path and path[-1] == "kind":
            message = f"unknown inject type {error.instance!r}"
            hint = "one of " + ", ".join(INJECT_KINDS)
            errors.append(InputError(message, location=located.where(path), hint=hint))
            continue
        if error.validator == "additionalProperties":
            message = error.message.replace("Additional properties are not allowed", "unknown key")
        errors.append(InputError(message, location=located.where(path)))
    return errors


def affected_index(ref: str) -> int | None:
    """For "affected:N", N - 1 (0-based); None for "affected" and for a TLD name."""
    if ref.startswith("affected:"):
        return int(ref.partition(":")[2]) - 1
    return None


def load_scenario(
    text: str,
    *,
    file: str = "scenario.toml",
    threat_events: set[str] | None = None,
) -> dict[str, Any]:
    """The scenario as a dict, injects sorted by time with their line; ValidationErrors
    naming each problem's line: a key or type the schema refuses (an unknown inject type),
    a time that is not one or goes backwards, an unknown threat event (when
    `threat_events`, the risk catalogue's identifiers, is given), a bad TLD reference."""
    located = Located.of(text, file)
    data = _parse(text, file)
    errors = _schema_errors(data, "scenario", located)
    if errors:
        raise ValidationErrors(errors)
    meta = data["scenario"]
    if threat_events is not None:
        for event in meta.get("threat_events", []):
            if event not in threat_events:
                errors.append(
                    InputError(
                        f"unknown threat event {event!r}",
                        location=Location(
                            file, located.line("scenario", None, "threat_events"), "threat_events"
                        ),
                        hint="use an identifier of the risk catalogue (dnscc risk catalogue)",
                    )
                )
    previous = 0.0
    injects = []
    for i, inject in enumerate(data.get("injects", [])):
        line = located.line("injects", i)
        try:
            at = parse_time(inject["at"])
        except ValueError as exc:
            errors.append(
                InputError(
                    str(exc), location=Location(file, located.line("injects", i, "at"), "at")
                )
            )
            continue
        if at < previous:
            errors.append(
                InputError(
                    f"the time goes backwards: T+{at:g}s after T+{previous:g}s",
                    location=Location(file, located.line("injects", i, "at"), f"injects.{i}.at"),
                    hint="list the injects in the order they happen",
                )
            )
        previous = max(previous, at)
        for key in ("tld", "tlds", "scope", "from"):
            ref = inject.get(key)
            refs = ref if isinstance(ref, list) else [ref] if ref is not None else []
            for one in refs:
                if not isinstance(one, str) or not _TLD_REF.match(one):
                    errors.append(
                        InputError(
                            f"{one!r} names no TLD",
                            location=Location(
                                file, located.line("injects", i, key), f"injects.{i}.{key}"
                            ),
                            hint='write "affected", "affected:N" or a TLD label such as "nl"',
                        )
                    )
        injects.append({**inject, "at_seconds": at, "line": line})
    operators = data.get("operators", {})
    shares = [float(operators.get(b, 0)) for b in OPERATOR_BEHAVIOURS]
    if operators and abs(sum(shares) - 1.0) > 0.001:
        errors.append(
            InputError(
                f"the operators' shares add up to {sum(shares):g}, not 1",
                location=Location(file, located.line("operators"), "operators"),
            )
        )
    day = data.get("parameters", {}).get("day")
    if isinstance(day, str):
        try:
            date.fromisoformat(day)
        except ValueError:
            errors.append(
                InputError(
                    f"{day!r} is not a date (YYYY-MM-DD)",
                    location=Location(file, located.line("parameters", None, "day"), "day"),
                )
            )
    if errors:
        raise ValidationErrors(errors)
    data["injects"] = injects
    data.setdefault("parameters", {})
    data.setdefault("operators", {})
    return data


def load_plan(
    text: str,
    *,
    file: str = "plan.toml",
    scenario: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan as a dict; ValidationErrors with lines: schema problems, a step whose role
    is not among the roles, a step anchored on an inject kind the scenario does not have,
    two steps with one id."""
    located = Located.of(text, file)
    data = _parse(text, file)
    errors = _schema_errors(data, "plan", located)
    if errors:
        raise ValidationErrors(errors)
    roles = {r["id"] for r in data.get("roles", [])}
    kinds = {i["kind"] for i in (scenario or {}).get("injects", [])} | {"start"}
    seen: set[str] = set()
    steps = []
    for i, step in enumerate(data.get("steps", [])):
        where = Location(file, located.line("steps", i), f"steps.{i}")
        if step["id"] in seen:
            errors.append(InputError(f"a second step {step['id']!r}", location=where))
        seen.add(step["id"])
        if step.get("role") and step["role"] not in roles:
            errors.append(
                InputError(
                    f"unknown role {step['role']!r}",
                    location=Location(file, located.line("steps", i, "role"), "role"),
                    hint="one of " + ", ".join(sorted(roles)),
                )
            )
        offset = None
        when = step.get("at")
        if when is not None:
            anchored = _ANCHORED.match(str(when)) if isinstance(when, str) else None
            anchor, delay = ("start", when) if not anchored else anchored.groups()
            if anchor == "T":
                anchor, delay = "start", when
            try:
                seconds = parse_time(delay if str(delay).startswith("T+") else f"T+{delay}")
            except ValueError as exc:
                errors.append(
                    InputError(
                        str(exc), location=Location(file, located.line("steps", i, "at"), "at")
                    )
                )
                continue
            if scenario is not None and anchor not in kinds:
                errors.append(
                    InputError(
                        f"the step is timed after {anchor!r}, which the scenario never injects",
                        location=Location(file, located.line("steps", i, "at"), "at"),
                        hint="anchor it on start or on an inject kind of the scenario",
                    )
                )
                continue
            if scenario is not None:
                base = (
                    0.0
                    if anchor == "start"
                    else min(x["at_seconds"] for x in scenario["injects"] if x["kind"] == anchor)
                )
                offset = base + seconds
        steps.append({**step, "at_seconds": offset, "line": located.line("steps", i)})
    if errors:
        raise ValidationErrors(errors)
    data["steps"] = steps
    return data


def scenario_files() -> dict[str, Path]:
    """The shipped scenarios, by id (the file's stem)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def read_scenario_file(scenario_id: str) -> tuple[str, Path]:
    """(text, path) of a shipped scenario, or NotFoundError naming the known ones."""
    files = scenario_files()
    path = files.get(scenario_id)
    if path is None:
        raise NotFoundError(
            f"no scenario {scenario_id!r}", hint="one of " + ", ".join(sorted(files))
        )
    return path.read_text(encoding="utf-8"), path


def plan_file(scenario_id: str) -> Path | None:
    """The shipped plan of a scenario, if there is one."""
    path = PLAN_DIR / f"{scenario_id}.toml"
    return path if path.exists() else None
