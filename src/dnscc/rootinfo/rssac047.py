"""The center's own RSSAC047 measurements: a round against every letter on a schedule
(probe.rssac047 does the asking), stored per letter, and a monthly report per letter and
for the system against the thresholds RSSAC047v2 sets.

The thresholds (RSSAC047v2, sections 4 and 5):

    per letter (RSI)   availability >= 96 % for each of UDP/TCP x IPv4/IPv6
                       median response latency <= 250 ms (UDP), <= 500 ms (TCP)
                       correctness 100 %
                       median publication latency <= 65 minutes
    system (RSS)       availability >= 99.999 %
                       median response latency <= 150 ms (UDP), <= 300 ms (TCP)
                       correctness >= 99.999 %
                       median publication latency <= 35 minutes

Our reading where RSSAC047 leaves room (docs/rootinfo.md): the system is available in a
round when at least one letter answered; its latency in a round is the median over the
letters that answered; publication latency of a letter for a serial is the time from the
serial's first sighting at any letter to the letter's first answer with that serial or a
newer one, counted up to the end of the period when it never came.
"""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnscc.core import egress
from dnscc.core.errors import InputError, UnavailableError
from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo.models import Measurement, SerialSeen

RSI = {
    "availability": 96.0,
    "latency_udp": 250.0,
    "latency_tcp": 500.0,
    "correctness": 100.0,
    "publication": 65.0,
}
RSS = {
    "availability": 99.999,
    "latency_udp": 150.0,
    "latency_tcp": 300.0,
    "correctness": 99.999,
    "publication": 35.0,
}


# --- measuring ----------------------------------------------------------------------------------


def reference_zone() -> Path:
    """The root zone the center holds: DNSCC_ROOT_ZONE (or the shipped one) when the real
    root is measured (DNSCC_ROOT_HINTS set), else the running lab's root zone."""
    if settings.ROOT_HINTS:
        from dnscc.core.paths import default_root_zone

        return default_root_zone()
    from dnscc.lab.lab import Lab

    return Lab().root_zone_file


def load_reference(path: Path) -> Any:
    from dnscc.core.rootzone import parse_root_zone
    from dnscc.probe.rssac047 import Reference

    zone = parse_root_zone(path)
    ns = {
        name: frozenset(h.lower().rstrip(".") + "." for h in t.ns) for name, t in zone.tlds.items()
    }
    ds = {
        name: frozenset(
            f"{d.key_tag} {d.algorithm} {d.digest_type} {d.digest.upper()}" for d in t.ds
        )
        for name, t in zone.tlds.items()
    }
    return Reference(ns, ds)


def run_round(
    *,
    at: datetime | None = None,
    timeout: float | None = None,
    port: int = 53,
    hints_path: Path | None = None,
    anchor_path: Path | None = None,
    reference_path: Path | None = None,
) -> list[Measurement]:
    """Measure every letter once and store the round (`at`: the round's time, default now).
    Hints, trust anchor and reference zone default to the configured ones (or the lab's)."""
    from dnscc.monitoring.runner import hints_and_anchor
    from dnscc.probe import rssac047 as probe
    from dnscc.probe.zone import read_hints, read_trust_anchor

    if hints_path is None:
        hints_path, anchor_path = hints_and_anchor()
    if anchor_path is None:
        raise UnavailableError(
            "no trust anchor: correctness cannot be validated",
            hint="set DNSCC_TRUST_ANCHOR to the root's DS (or start the lab)",
        )
    targets = probe.targets_from_hints(read_hints(str(hints_path)))
    if not targets:
        raise UnavailableError(f"no root server letters in {hints_path}")
    # Only what the egress rule allows is measured; nothing allowed: not run, and why.
    policy = egress.current()
    allowed = {letter: policy.split(addrs)[0] for letter, addrs in targets.items()}
    targets = {letter: addrs for letter, addrs in allowed.items() if addrs}
    if not targets:
        raise UnavailableError(
            f"not run: the root servers of {hints_path} are outside the networks the center "
            f"may query ({policy.describe()})",
            hint=f"set {egress.SETTING} to include them",
        )
    try:
        reference = load_reference(reference_path or reference_zone())
    except InputError:
        reference = None  # correctness then rests on DNSSEC alone
    rounds = asyncio.run(
        probe.measure(
            targets,
            anchor=read_trust_anchor(str(anchor_path)),
            reference=reference,
            port=port,
            timeout=timeout or probe.DEFAULT_TIMEOUT,
        )
    )
    return store_round(rounds, at=at or timezone.now())


def store_round(rounds: list[Any], *, at: datetime) -> list[Measurement]:
    rows = [
        Measurement(
            letter=r.letter,
            at=at,
            results=[p.as_dict() for p in r.probes],
            correct=r.correct,
            correctness=[c.as_dict() for c in r.checks],
            serial=r.serial,
        )
        for r in rounds
    ]
    with transaction.atomic():
        Measurement.objects.bulk_create(rows)
        for row in rows:
            if row.serial is None:
                continue
            for who in ("", row.letter):
                SerialSeen.objects.get_or_create(
                    serial=row.serial, letter=who, defaults={"first_seen": at}
                )
    return rows


# --- reporting -------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float | None
    threshold: float
    unit: str
    higher_is_better: bool
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None if self.note.startswith("not") else False
        if self.higher_is_better:
            return self.value >= self.threshold
        return self.value <= self.threshold

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "fail", None: "not measured"}[self.passed]

    def shown(self) -> str:
        if self.value is None:
            return self.note or "no data"
        return f"{self.value:.3f}".rstrip("0").rstrip(".") + f" {self.unit}".rstrip()


@dataclass
class Row:
    who: str  # a letter, or "system"
    figures: list[Figure] = field(default_factory=list)
    rounds: int = 0

    @property
    def passed(self) -> bool:
        return all(f.passed is not False for f in self.figures)


@dataclass
class Report:
    month: datetime
    end: datetime
    rows: list[Row]
    rounds: int

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


def parse_month(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"{text!r} is not a month (YYYY-MM)") from None


def _next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _family(address: str) -> str:
    return "IPv6" if ":" in address else "IPv4"


def publication_latencies(start: datetime, end: datetime) -> dict[str, list[float]]:
    """letter -> minutes from each serial's first sighting (in [start, end)) to the letter
    serving it or a newer one; up to `end` when it never did."""
    # A serial counts when it was new: no newer one had been seen by its first sighting (an
    # old serial first met at a lagging letter is that letter's lag, not a publication).
    every = list(SerialSeen.objects.filter(letter="").values_list("serial", "first_seen"))
    firsts = [
        (serial, first)
        for serial, first in every
        if start <= first < end and not any(s > serial and f <= first for s, f in every)
    ]
    seen: dict[str, list[tuple[int, datetime]]] = {}
    for serial, letter, when in SerialSeen.objects.exclude(letter="").values_list(
        "serial", "letter", "first_seen"
    ):
        seen.setdefault(letter, []).append((serial, when))
    measured = set(
        Measurement.objects.filter(at__gte=start, at__lt=end).values_list("letter", flat=True)
    )
    out: dict[str, list[float]] = {}
    for letter in measured:
        mine = seen.get(letter, [])
        for serial, first in firsts:
            served = [when for s, when in mine if s >= serial]
            at = min(served) if served else end
            out.setdefault(letter, []).append(max((min(at, end) - first).total_seconds(), 0) / 60)
    return out


def month_report(month: datetime) -> Report:
    start = month
    end = _next_month(month)
    rows_by_letter: dict[str, Row] = {}
    last_at = None
    system_rounds: dict[datetime, list[Measurement]] = {}
    for m in Measurement.objects.filter(at__gte=start, at__lt=end).order_by("at"):
        system_rounds.setdefault(m.at, []).append(m)
        last_at = m.at
    period_end = min(end, last_at + timedelta(minutes=5)) if last_at else end
    pub = publication_latencies(start, period_end)
    per_letter: dict[str, list[Measurement]] = {}
    for ms in system_rounds.values():
        for m in ms:
            per_letter.setdefault(m.letter, []).append(m)
    for letter in LETTERS:
        ms = per_letter.get(letter, [])
        if not ms:
            continue
        row = Row(letter, rounds=len(ms))
        sent: dict[tuple[str, str], list[bool]] = {}
        latency: dict[str, list[float]] = {"udp": [], "tcp": []}
        for m in ms:
            for p in m.results:
                sent.setdefault((p["transport"], _family(p["address"])), []).append(bool(p["ok"]))
                if p["ok"] and p["ms"] is not None:
                    latency[p["transport"]].append(float(p["ms"]))
        for (transport, family), oks in sorted(sent.items()):
            row.figures.append(
                Figure(
                    f"availability {transport.upper()} {family}",
                    100.0 * sum(oks) / len(oks),
                    RSI["availability"],
                    "%",
                    True,
                )
            )
        for transport in ("udp", "tcp"):
            if any(t == transport for t, _ in sent):
                row.figures.append(
                    Figure(
                        f"median latency {transport.upper()}",
                        _median(latency[transport]),
                        RSI[f"latency_{transport}"],
                        "ms",
                        False,
                        note="" if latency[transport] else "no answer",
                    )
                )
        judged = [m.correct for m in ms if m.correct is not None]
        row.figures.append(
            Figure(
                "correctness",
                100.0 * sum(judged) / len(judged) if judged else None,
                RSI["correctness"],
                "%",
                True,
                note="" if judged else "not judged: no answer",
            )
        )
        lat = pub.get(letter, [])
        row.figures.append(
            Figure(
                "median publication latency",
                _median(lat),
                RSI["publication"],
                "min",
                False,
                note="" if lat else "not measured: no new serial this month",
            )
        )
        rows_by_letter[letter] = row
    rows = list(rows_by_letter.values())
    if system_rounds:
        rows.append(_system_row(system_rounds, pub))
    return Report(start, end, rows, len(system_rounds))


def _system_row(rounds: dict[datetime, list[Measurement]], pub: dict[str, list[float]]) -> Row:
    row = Row("system", rounds=len(rounds))
    available = []
    lat: dict[str, list[float]] = {"udp": [], "tcp": []}
    correct: list[bool] = []
    for ms in rounds.values():
        available.append(any(p["ok"] for m in ms for p in m.results))
        for transport in ("udp", "tcp"):
            per = [
                min(float(p["ms"]) for p in m.results if p["ok"] and p["transport"] == transport)
                for m in ms
                if any(p["ok"] and p["transport"] == transport for p in m.results)
            ]
            if per:
                lat[transport].append(statistics.median(per))
        correct += [bool(m.correct) for m in ms if m.correct is not None]
    row.figures.append(
        Figure(
            "availability", 100.0 * sum(available) / len(available), RSS["availability"], "%", True
        )
    )
    for transport in ("udp", "tcp"):
        row.figures.append(
            Figure(
                f"median latency {transport.upper()}",
                _median(lat[transport]),
                RSS[f"latency_{transport}"],
                "ms",
                False,
                note="" if lat[transport] else "no answer",
            )
        )
    row.figures.append(
        Figure(
            "correctness",
            100.0 * sum(correct) / len(correct) if correct else None,
            RSS["correctness"],
            "%",
            True,
            note="" if correct else "not judged: no answer",
        )
    )
    per_serial = [statistics.median(v) for v in zip(*pub.values(), strict=False)] if pub else []
    row.figures.append(
        Figure(
            "median publication latency",
            _median(per_serial),
            RSS["publication"],
            "min",
            False,
            note="" if per_serial else "not measured: no new serial this month",
        )
    )
    return row


def report_csv(report: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["month", "who", "figure", "value", "unit", "threshold", "verdict", "rounds"])
    for row in report.rows:
        for f in row.figures:
            w.writerow(
                [
                    report.label,
                    row.who,
                    f.name,
                    "" if f.value is None else round(f.value, 3),
                    f.unit,
                    f.threshold,
                    f.verdict,
                    row.rounds,
                ]
            )
    return out.getvalue()


def latest_summary(letter: str) -> dict[str, Any] | None:
    """The latest measurement of a letter, for its page and for an incident."""
    m = Measurement.objects.filter(letter=letter).order_by("-at").first()
    if m is None:
        return None
    oks = [p for p in m.results if p["ok"]]
    return {
        "at": m.at,
        "answered": len(oks),
        "asked": len(m.results),
        "udp_ms": _median(
            [p["ms"] for p in oks if p["transport"] == "udp" and p["ms"] is not None]
        ),
        "tcp_ms": _median(
            [p["ms"] for p in oks if p["transport"] == "tcp" and p["ms"] is not None]
        ),
        "serial": m.serial,
        "correct": m.correct,
        "errors": sorted({p["error"] for p in m.results if p["error"]})[:3],
    }


def months() -> list[str]:
    """The months with measurements, newest first."""
    seen = Measurement.objects.dates("at", "month", order="DESC")
    return [f"{d:%Y-%m}" for d in seen]
