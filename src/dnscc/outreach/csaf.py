"""CSAF 2.0 documents for advisories: building, TLP mapping, validation, text rendering.

Pure apart from reading the bundled schemas and running the Node validator. CSAF 2.0
(OASIS, 2022) carries TLP 1.0 labels in /document/distribution/tlp; the center records
TLP 2.0 and maps explicitly (`csaf_tlp`), writing the TLP 2.0 label into the distribution
text so that nothing is lost: AMBER+STRICT has no TLP 1.0 label and becomes AMBER with
"TLP:AMBER+STRICT" stated in the text; CLEAR becomes WHITE.

Validation is two-stage: the official CSAF 2.0 JSON schema (with the FIRST CVSS schemas it
references, bundled in outreach/schemas/, taken from secvisogram's csaf-validator-lib) in
Python, then secvisogram's csaf-validator-lib itself (strict schema test and every
mandatory test of CSAF 2.0 §6.1) through `node tools/csaf-validator/validate.js`.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from dnscc.core.errors import UnavailableError
from dnscc.core.tlp import TLP

SCHEMAS = Path(__file__).resolve().parent / "schemas"
REPO_VALIDATOR = Path(__file__).resolve().parents[3] / "tools" / "csaf-validator" / "validate.js"

# TLP 2.0 -> the TLP 1.0 label CSAF 2.0 can carry (FIRST's TLP 2.0 FAQ mapping).
TLP_TO_CSAF = {
    TLP.CLEAR: "WHITE",
    TLP.GREEN: "GREEN",
    TLP.AMBER: "AMBER",
    TLP.AMBER_STRICT: "AMBER",
    TLP.RED: "RED",
}
# Folder of a provider's directory distribution per CSAF TLP label (CSAF 2.0 §7.1.11-13).
TLP_FOLDER = {"WHITE": "white", "GREEN": "green", "AMBER": "amber", "RED": "red"}


def csaf_tlp(tlp: TLP) -> dict[str, str]:
    return {"label": TLP_TO_CSAF[tlp], "url": "https://www.first.org/tlp/"}


def distribution_text(tlp: TLP) -> str:
    text = (
        f"{tlp.label} (TLP 2.0). CSAF 2.0 carries TLP 1.0 labels: "
        f"this document is marked TLP:{TLP_TO_CSAF[tlp]}."
    )
    if tlp is TLP.AMBER_STRICT:
        text += (
            " The TLP 2.0 label AMBER+STRICT applies: share only within the recipient organisation."
        )
    return text


def file_name(tracking_id: str) -> str:
    """CSAF 2.0 §5.1: lower case, runs of other characters replaced by '_', '.json'."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


@dataclass(frozen=True)
class AdvisoryData:
    tracking_id: str
    title: str
    category: str
    tlp: TLP
    summary: str
    details: str
    recommendation: str
    products: list[dict[str, Any]]
    vulnerabilities: list[dict[str, Any]]
    references: list[dict[str, str]]
    publisher_name: str
    publisher_namespace: str
    released: datetime
    version: str = "1"
    lang: str = "en"
    # A revision: the first release's date, the versions published before, and what this
    # one changes (CSAF 2.0 §3.2.1.12.6-7: the history ends with this version).
    initial_released: datetime | None = None
    history: tuple[dict[str, str], ...] = ()
    revision_summary: str = "Initial version."


def _iso(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _product_tree(products: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    vendors: dict[str, dict[str, Any]] = {}
    ids: list[str] = []
    n = 0
    for item in products:
        vendor = str(item.get("vendor") or "Unknown vendor")
        product = str(item.get("product") or "Unknown product")
        versions = [str(v) for v in item.get("versions") or []] or ["all versions"]
        v_branch = vendors.setdefault(
            vendor, {"category": "vendor", "name": vendor, "branches": []}
        )
        p_branch: dict[str, Any] = {"category": "product_name", "name": product, "branches": []}
        for version in versions:
            n += 1
            pid = f"CSAFPID-{n:04d}"
            ids.append(pid)
            p_branch["branches"].append(
                {
                    "category": "product_version",
                    "name": version,
                    "product": {"product_id": pid, "name": f"{vendor} {product} {version}"},
                }
            )
        v_branch["branches"].append(p_branch)
    return {"branches": list(vendors.values())}, ids


def build(data: AdvisoryData) -> dict[str, Any]:
    """The CSAF 2.0 document for an advisory."""
    released = _iso(data.released)
    notes = [{"category": "summary", "title": "Summary", "text": data.summary}]
    if data.details:
        notes.append({"category": "details", "title": "Details", "text": data.details})
    references = [
        {"category": "external", "url": r["url"], "summary": r.get("summary") or r["url"]}
        for r in data.references
        if r.get("url")
    ]
    document: dict[str, Any] = {
        "category": data.category,
        "csaf_version": "2.0",
        "distribution": {"text": distribution_text(data.tlp), "tlp": csaf_tlp(data.tlp)},
        "lang": data.lang,
        "notes": notes,
        "publisher": {
            "category": "coordinator",
            "name": data.publisher_name,
            "namespace": data.publisher_namespace,
        },
        "title": data.title,
        "tracking": {
            "current_release_date": released,
            "generator": {"engine": {"name": "dnscc", "version": "0.1.0"}},
            "id": data.tracking_id,
            "initial_release_date": _iso(data.initial_released or data.released),
            "revision_history": [
                *data.history,
                {"date": released, "number": data.version, "summary": data.revision_summary},
            ],
            "status": "final",
            "version": data.version,
        },
    }
    if references:
        document["references"] = references
    doc: dict[str, Any] = {"document": document}
    if data.category == "csaf_security_advisory":
        tree, ids = _product_tree(data.products)
        doc["product_tree"] = tree
        vulns = []
        for v in data.vulnerabilities:
            vuln: dict[str, Any] = {}
            if v.get("cve"):
                vuln["cve"] = str(v["cve"]).upper()
            if v.get("title"):
                vuln["title"] = str(v["title"])
            vuln["notes"] = [
                {
                    "category": "description",
                    "title": "Description",
                    "text": str(v.get("description") or data.summary),
                }
            ]
            if ids:
                vuln["product_status"] = {"known_affected": ids}
                if data.recommendation:
                    vuln["remediations"] = [
                        {
                            "category": "mitigation",
                            "details": data.recommendation,
                            "product_ids": ids,
                        }
                    ]
            vulns.append(vuln)
        doc["vulnerabilities"] = vulns
    elif data.recommendation:
        document["notes"].append(
            {"category": "general", "title": "Recommendation", "text": data.recommendation}
        )
    return doc


def serialize(doc: dict[str, Any]) -> str:
    """The published bytes: stable key order, so hashes and the signature are reproducible."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def hashes(text: str) -> tuple[str, str]:
    raw = text.encode("utf-8")
    return hashlib.sha256(raw).hexdigest(), hashlib.sha512(raw).hexdigest()


@dataclass(frozen=True)
class Problem:
    test: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"test": self.test, "path": self.path, "message": self.message}


@cache
def _validator() -> Any:
    import jsonschema
    from referencing import Registry, Resource

    def load(name: str) -> dict[str, Any]:
        return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))

    registry: Registry[Any] = Registry()
    for version in ("2.0", "3.0", "3.1"):
        schema = load(f"cvss-v{version}.json")
        resource = Resource.from_contents(schema, default_specification=_draft(schema))
        registry = registry.with_resource(
            f"https://www.first.org/cvss/cvss-v{version}.json", resource
        )
    csaf_schema = load("csaf_json_schema.json")
    return jsonschema.Draft202012Validator(
        csaf_schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def _draft(schema: dict[str, Any]) -> Any:
    from referencing.jsonschema import specification_with

    return specification_with(schema.get("$schema", "https://json-schema.org/draft/2020-12/schema"))


def schema_problems(doc: dict[str, Any]) -> list[Problem]:
    """Problems against the official CSAF 2.0 JSON schema."""
    return [
        Problem("csaf_2_0_schema", "/" + "/".join(str(p) for p in e.absolute_path), e.message)
        for e in sorted(
            _validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))
        )
    ]


def validator_script(configured: str = "") -> Path | None:
    path = Path(configured) if configured else REPO_VALIDATOR
    if not path.is_file() or not (path.parent / "node_modules").is_dir():
        return None
    return path


class _Validator:
    """One long-lived `node validate.js --serve` per process: the library takes seconds to
    load, a document then takes milliseconds. Documents go one per line, answers come back
    one per line; a lock keeps threads from interleaving."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.script: Path | None = None

    def _start(self, script: Path) -> subprocess.Popen[bytes]:
        node = shutil.which("node")
        if node is None:
            raise UnavailableError("node is not installed", hint="apt-get install nodejs")
        self.close()
        self.proc = subprocess.Popen(
            [node, str(script), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.script = script
        return self.proc

    def check(self, doc: dict[str, Any], script: Path) -> dict[str, Any]:
        with self.lock:
            proc = self.proc
            if proc is None or proc.poll() is not None or self.script != script:
                proc = self._start(script)
            if proc.stdin is None or proc.stdout is None:  # pragma: no cover - Popen(PIPE)
                raise UnavailableError("the CSAF validator has no pipes")
            try:
                proc.stdin.write(json.dumps(doc).encode() + b"\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except OSError as exc:
                self.close()
                raise UnavailableError(f"the CSAF validator stopped: {exc}") from None
            if not line:
                self.close()
                raise UnavailableError("the CSAF validator stopped without an answer")
            result: dict[str, Any] = json.loads(line)
            return result

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()


_validator_process = _Validator()
atexit.register(_validator_process.close)


def mandatory_problems(doc: dict[str, Any], *, script: Path) -> list[Problem]:
    """Problems found by secvisogram's csaf-validator-lib (strict schema + mandatory tests)."""
    result = _validator_process.check(doc, script)
    return [
        Problem(str(e.get("test")), str(e.get("instancePath")), str(e.get("message")))
        for e in result.get("errors", [])
    ]


def render_text(doc: dict[str, Any]) -> str:
    """A plain-text rendering of a CSAF document, for mail and terminals."""
    d = doc["document"]
    t = d["tracking"]
    lines = [
        d["title"],
        "=" * min(78, len(d["title"])),
        "",
        f"ID: {t['id']}    Version: {t['version']}    Status: {t['status']}",
        f"Published: {t['initial_release_date']}    Updated: {t['current_release_date']}",
        f"Category: {d['category']}    {d['distribution']['text']}",
        f"Publisher: {d['publisher']['name']} ({d['publisher']['namespace']})",
        "",
    ]
    for note in d.get("notes", []):
        lines += [note.get("title") or note["category"].title(), "-" * 20, note["text"], ""]
    names = _product_names(doc)
    for vuln in doc.get("vulnerabilities", []):
        head = " ".join(x for x in (vuln.get("cve"), vuln.get("title")) if x) or "Vulnerability"
        lines += [head, "-" * min(78, len(head))]
        for note in vuln.get("notes", []):
            lines += [note["text"]]
        affected = vuln.get("product_status", {}).get("known_affected", [])
        if affected:
            lines += ["Affected: " + ", ".join(names.get(p, p) for p in affected)]
        for rem in vuln.get("remediations", []):
            lines += [f"{rem['category'].replace('_', ' ').title()}: {rem['details']}"]
        lines += [""]
    if d.get("references"):
        lines += ["References", "-" * 10]
        lines += [f"- {r['summary']}: {r['url']}" for r in d["references"]]
    return "\n".join(lines).rstrip() + "\n"


def _product_names(doc: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}

    def walk(branches: list[dict[str, Any]]) -> None:
        for b in branches:
            if "product" in b:
                names[b["product"]["product_id"]] = b["product"]["name"]
            walk(b.get("branches", []))

    walk(doc.get("product_tree", {}).get("branches", []))
    return names
