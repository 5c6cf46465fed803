"""Anomalies in the letters' RSSAC002 series, opened as monitoring alerts.

`scan(first, last)` judges every letter's series (profile.toml) on each day against its
robust baseline (baseline.py), records each anomaly, and keeps the alerts in step with the
latest day scanned: an anomaly opens (or refreshes) an alert to the duty desk of the
letter's operator; when several letters (system.min_letters) are anomalous the same day,
one system-wide alert names them all instead; a series back to normal resolves its alert.
Each alert links to a page that plots the series with the anomalous days marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dnscc.core.root_servers import ROOT_SERVER_OPERATORS
from dnscc.rootinfo.baseline import Judgement, Profile, Rule, judge, load_profile
from dnscc.rootinfo.models import Anomaly, LetterDay

CODE_PREFIX = "RSSAC002_"
SYSTEM_CODE = "RSSAC002_SYSTEM"
SYSTEM_ZONE = "root-servers.net"
RECENT_DAYS = 35  # after an ingestion, the days scanned back from the newest one touched


def profile() -> Profile:
    return load_profile(settings.ROOTINFO_PROFILE or None)


def zone_of(letter: str) -> str:
    return f"{letter}.root-servers.net" if letter else SYSTEM_ZONE


def code_of(rule: Rule) -> str:
    return f"{CODE_PREFIX}{rule.name.upper()}"


def operator_name(letter: str) -> str:
    op = ROOT_SERVER_OPERATORS.get(f"{letter}.root-servers.net")
    return op.operator if op else ""


def _operator_org(letter: str) -> Any:
    from dnscc.directory.models import RootServer

    server = RootServer.objects.filter(letter=letter).select_related("operator").first()
    return server.operator if server else None


@dataclass
class ScanResult:
    days: int = 0
    judged: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)
    opened: list[Any] = field(default_factory=list)  # monitoring alerts opened or refreshed
    resolved: int = 0
    not_judged: int = 0


def _history(
    rule_fields: Iterable[str], first: date, last: date
) -> dict[str, dict[date, dict[str, Any]]]:
    cols = sorted(set(rule_fields))
    out: dict[str, dict[date, dict[str, Any]]] = {}
    for row in LetterDay.objects.filter(day__gte=first, day__lte=last).values(
        "letter", "day", *cols
    ):
        out.setdefault(row["letter"], {})[row["day"]] = row
    return out


def scan(
    first: date, last: date, *, now: datetime | None = None, prof: Profile | None = None
) -> ScanResult:
    """Judge every day from `first` to `last`; record anomalies and keep alerts in step."""
    from dnscc.monitoring import services as monitoring

    now = now or timezone.now()
    prof = prof or profile()
    b = prof.baseline
    rows = _history(
        [f for r in prof.rules for f in r.fields], first - timedelta(days=b.window_days), last
    )
    series: dict[tuple[str, str], dict[date, float]] = {}
    for letter, days in rows.items():
        for rule in prof.rules:
            values = {d: v for d, r in days.items() if (v := rule.value(r)) is not None}
            series[(letter, rule.name)] = values
    result = ScanResult()
    day = first
    while day <= last:
        result.days += 1
        found: dict[str, list[tuple[Rule, Judgement]]] = {}
        normal: list[tuple[str, Rule]] = []
        for (letter, name), values in sorted(series.items()):
            if day not in values:
                continue
            rule = next(r for r in prof.rules if r.name == name)
            j = judge(values, day, values[day], rule, b)
            if j.baseline is None:
                result.not_judged += 1
                continue
            result.judged += 1
            if j.anomalous:
                found.setdefault(letter, []).append((rule, j))
            else:
                normal.append((letter, rule))
        with transaction.atomic():
            for letter, hits in found.items():
                for rule, j in hits:
                    result.anomalies.append(_record(letter, rule.name, j, now))
            if len(found) >= prof.min_letters:
                _record_system(day, found, now)
                result.opened.append(_system_alert(day, found, now))
            else:
                resolved = monitoring.resolve_finding(
                    zone=SYSTEM_ZONE,
                    code=SYSTEM_CODE,
                    why=f"fewer than {prof.min_letters} letters anomalous on {day}",
                    now=now,
                )
                result.resolved += resolved
                for letter, hits in found.items():
                    for rule, j in hits:
                        alert = _letter_alert(letter, rule, j, now)
                        if alert is not None:
                            result.opened.append(alert)
            for letter, rule in normal:
                result.resolved += monitoring.resolve_finding(
                    zone=zone_of(letter),
                    code=code_of(rule),
                    why=f"{rule.label} back within its baseline on {day}",
                    now=now,
                )
        day += timedelta(days=1)
    return result


def _record(letter: str, series: str, j: Judgement, now: datetime) -> Anomaly:
    row, _ = Anomaly.objects.update_or_create(
        letter=letter,
        series=series,
        day=j.day,
        defaults={
            "value": j.value,
            "baseline": j.baseline or 0.0,
            "spread": j.spread or 0.0,
            "score": j.score or 0.0,
            "method": j.method[:120],
            "found_at": now,
        },
    )
    return row


def _record_system(
    day: date, found: dict[str, list[tuple[Rule, Judgement]]], now: datetime
) -> None:
    Anomaly.objects.update_or_create(
        letter="",
        series="system",
        day=day,
        defaults={
            "value": float(len(found)),
            "baseline": 0.0,
            "spread": 0.0,
            "score": 0.0,
            "method": "several letters anomalous the same day",
            "letters": sorted(found),
            "found_at": now,
        },
    )


def _how(rule: Rule, j: Judgement) -> str:
    if j.ratio is not None and rule.columns:
        return f"{rule.label} {j.ratio:.1f}x the baseline"
    return f"{rule.label} {j.value:.3g} against a baseline of {j.baseline:.3g}"


def _letter_alert(letter: str, rule: Rule, j: Judgement, now: datetime) -> Any:
    from dnscc.monitoring import services as monitoring

    org = _operator_org(letter)
    who = f"{letter}-root" + (f" ({operator_name(letter)})" if operator_name(letter) else "")
    title = f"{who}: {_how(rule, j)} on {j.day}"
    alert = monitoring.report_finding(
        zone=zone_of(letter),
        code=code_of(rule),
        severity=rule.severity,
        message=f"{title} (robust z {j.score:.1f}; {j.method})",
        title=title,
        evidence=[
            {
                "letter": letter,
                "series": rule.name,
                "day": j.day.isoformat(),
                "value": j.value,
                "baseline": j.baseline,
                "score": round(j.score or 0.0, 2),
                "method": j.method,
            }
        ],
        organization=org,
        desk=(org.region if org is not None else ""),
        now=now,
    )
    _link(letter, rule.name, j.day, alert)
    return alert


def _system_alert(day: date, found: dict[str, list[tuple[Rule, Judgement]]], now: datetime) -> Any:
    from dnscc.monitoring import services as monitoring

    letters = sorted(found)
    labels = sorted({rule.label for hits in found.values() for rule, _ in hits})
    title = (
        f"Root server system: {len(letters)} letters anomalous on {day} "
        f"({', '.join(letters)}: {'; '.join(labels)})"
    )
    worst = max(
        (rule.severity for hits in found.values() for rule, _ in hits),
        key=("notice", "warning", "error", "critical").index,
    )
    alert = monitoring.report_finding(
        zone=SYSTEM_ZONE,
        code=SYSTEM_CODE,
        severity="critical" if worst in ("error", "critical") else "error",
        message=title,
        title=title,
        evidence=[
            {
                "day": day.isoformat(),
                "letters": letters,
                "series": sorted({r.name for h in found.values() for r, _ in h}),
            }
        ],
        now=now,
    )
    _link("", "system", day, alert)
    return alert


def _link(letter: str, series: str, day: date, alert: Any) -> None:
    if alert is not None:
        Anomaly.objects.filter(letter=letter, series=series, day=day).update(alert=alert)


def scan_recent(days: Iterable[date], *, now: datetime | None = None) -> ScanResult | None:
    """After an ingestion: scan the days it touched, back to RECENT_DAYS before the newest
    (a backfill of years does not reopen alerts of long ago; `scan` does, on request)."""
    touched = sorted(set(days))
    if not touched:
        return None
    last = touched[-1]
    first = max(touched[0], last - timedelta(days=RECENT_DAYS))
    return scan(first, last, now=now)


def detail_url(finding: Any) -> str | None:
    """The page of an anomaly alert: the series with the anomalous days marked."""
    evidence = (finding.evidence or [{}])[0]
    day = evidence.get("day") if isinstance(evidence, dict) else None
    if not day:
        return None
    if finding.code == SYSTEM_CODE:
        return reverse("rootinfo:anomaly", args=["system", "system", day])
    letter = finding.zone.split(".", 1)[0]
    return reverse("rootinfo:anomaly", args=[letter, evidence.get("series", ""), day])


def register_alert_details() -> None:
    """Tell monitoring where an anomaly alert's details are (its alerts page links there)."""
    from dnscc.monitoring.services import register_detail_page

    register_detail_page(CODE_PREFIX, detail_url)
