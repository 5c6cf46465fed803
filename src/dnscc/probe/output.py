"""What `dnscc probe zone` prints and returns: the exit status by the worst finding,
Zonemaster-CLI-compatible JSON, and the undelegated test's `--ns` / `--ds` values."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from dnscc.core.errors import InputError
from dnscc.probe.model import SEVERITIES, ZoneReport

# Exit status by the worst finding, documented in docs/probe.md: scripts can tell a zone
# with warnings from a broken one without parsing the output. Nothing here collides with
# the sysexits codes of core.errors (1, 2, 64-78).
EXIT = {"info": 0, "notice": 0, "warning": 3, "error": 4, "critical": 5}


def exit_code(report: ZoneReport) -> int:
    """0 for none or notices only, 3 warning, 4 error, 5 critical."""
    worst = report.worst
    return EXIT[worst] if worst else 0


def module_of(code: str) -> str:
    """Zonemaster's module name of a test case id (DELEGATION04 -> DELEGATION)."""
    if code.startswith("DNSCC_"):
        return "DNSCC"
    return re.sub(r"\d+$", "", code)


def zonemaster_json(report: ZoneReport) -> list[dict[str, Any]]:
    """The findings as zonemaster-cli's `--json` messages (module, testcase, tag, level,
    args, timestamp), so that the two tools' outputs can be compared directly."""
    out = []
    for f in report.findings:
        args: dict[str, Any] = dict(f.args)
        if f.server and "ns_ip" not in args:
            args["ns_ip"] = f.server
        args.setdefault("message", f.message)
        out.append(
            {
                "module": module_of(f.code),
                "testcase": f.code,
                "tag": f.detail,
                "level": f.severity.upper(),
                "args": args,
                "timestamp": round(report.seconds, 3),
            }
        )
    out.sort(
        key=lambda m: (
            str(m["module"]),
            str(m["testcase"]),
            -SEVERITIES.index(str(m["level"]).lower()),
        )
    )
    return out


def parse_ns(values: Sequence[str]) -> dict[str, list[str]]:
    """`--ns NAME[/IP]` values: name server name -> addresses (empty: look it up)."""
    out: dict[str, list[str]] = {}
    for raw in values:
        name, _, ip = raw.strip().partition("/")
        name = name.strip().lower().rstrip(".") + "."
        if not re.fullmatch(r"([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+", name):
            raise InputError(f"--ns {raw!r}: {name!r} is not a host name", hint="--ns NAME[/IP]")
        addrs = out.setdefault(name, [])
        if ip:
            try:
                addrs.append(ipaddress.ip_address(ip.strip()).compressed)
            except ValueError:
                raise InputError(
                    f"--ns {raw!r}: {ip!r} is not an IP address", hint="--ns NAME[/IP]"
                ) from None
    return out


def parse_ds(values: Sequence[str]) -> list[str]:
    """`--ds KEYTAG,ALG,DIGTYPE,DIGEST` values as DS rdata text (checked)."""
    out = []
    for raw in values:
        parts = [p.strip() for p in raw.split(",")]
        if len(parts) != 4:
            raise InputError(
                f"--ds {raw!r}: expected 4 comma-separated fields",
                hint="--ds KEYTAG,ALG,DIGTYPE,DIGEST (e.g. 12345,13,2,ABCD...)",
            )
        keytag, alg, digtype, digest = parts
        for label, value, top in (
            ("key tag", keytag, 65535),
            ("algorithm", alg, 255),
            ("digest type", digtype, 255),
        ):
            if not value.isdigit() or int(value) > top:
                raise InputError(f"--ds {raw!r}: {label} {value!r} is not a number 0-{top}")
        if not re.fullmatch(r"[0-9a-fA-F]+", digest) or len(digest) % 2:
            raise InputError(f"--ds {raw!r}: the digest {digest[:20]!r} is not hexadecimal")
        out.append(f"{int(keytag)} {int(alg)} {int(digtype)} {digest.upper()}")
    return out
