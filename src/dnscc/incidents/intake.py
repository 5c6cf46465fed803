"""Intake: reports reaching the center (the public web form, the API, inbound mail, monitoring
alerts) and the triage decisions on them (open as an incident, merge, link, reject).

A web report stays `unconfirmed`, invisible to triage, until its reporter follows the
emailed confirmation link (POST; mail scanners follow GET links); it is dropped from view
after UNCONFIRMED_HOURS and deleted by the scheduler's purge (purge_unconfirmed). A
confirmed report, an API report, a mail report and a monitoring alert's report are `new`:
routed to the desk on duty and shown to triage. A decision is taken once (compare-and-set on
the state) and audited.

The public form is rate-limited per client (an IPv4 address, an IPv6 /64) by a sliding
window count over the audit log, so that every web process (several gunicorn workers,
several machines) counts the same submissions: at most N submissions in any window of the
configured length. Not the TokenBucket: a bucket replayed from the log refills while it is
being spent and lets through about twice the rate in one window (a full burst, then the
refill). The check is made again after the submission is recorded, under the audit log's
lock (audit.record locks its head row until commit), so parallel POSTs cannot all pass.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import staff_only
from dnscc.core.errors import (
    ConfigError,
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDenied,
    ValidationErrors,
)
from dnscc.core.names import normalize_name
from dnscc.core.taxonomy import DNS_TYPES
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.incidents import timeline
from dnscc.incidents.models import Incident, Report, empty_scope, new_token

log = logging.getLogger(__name__)

UNCONFIRMED_HOURS = 48
TITLE_MAX = 300
REPORT_DESCRIPTION_MAX = 20_000  # a grouped alert report lists every zone's finding
NAME_MAX = 200
SCOPE_MAX_ENTRIES = 1000
DECIDED = (Report.OPENED, Report.MERGED, Report.LINKED, Report.REJECTED)
SUBMIT_ACTION = "incident.report_submit"


class RateLimited(PermissionDenied):
    """Too many reports from one client address; `retry_after` in seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, hint=f"retry after {int(retry_after) + 1} seconds")
        self.retry_after = retry_after


# -- input ----------------------------------------------------------------------------


def report_max_bytes() -> int:
    return int(settings.REPORT_MAX_BYTES)


def parse_scope(value: Any, *, field: str = "scope") -> dict[str, list[str]]:
    """Names, TLDs and IP addresses from free text (whitespace, commas or semicolons between
    entries), a list of entries, or a scope dict. A single label or a leading dot is a TLD
    (`.alpha`, `alpha`); the rest are names; addresses go to `ips`. Bad entries are reported
    together, each with its position."""
    scope = empty_scope()
    if isinstance(value, dict):
        entries: list[tuple[str, str]] = []
        for key in ("names", "tlds", "ips", "resolvers"):
            items = value.get(key) or []
            if not isinstance(items, list):
                raise InputError("must be a list", location=Location(field=f"{field}.{key}"))
            entries += [(key, str(item)) for item in items]
    else:
        if isinstance(value, list | tuple):
            raw = [str(item) for item in value]
        else:
            raw = re.split(r"[\s,;]+", str(value or ""))
        entries = [("", item) for item in raw if item.strip()]
    if len(entries) > SCOPE_MAX_ENTRIES:
        raise InputError(
            f"{len(entries)} entries, over the limit of {SCOPE_MAX_ENTRIES}",
            location=Location(field=field),
            hint="report the largest affected zones, or attach the list to the incident later",
        )
    errors: list[InputError] = []
    for index, (key, text) in enumerate(entries):
        try:
            kind, entry = _scope_entry(key, text.strip())
        except InputError as exc:
            errors.append(InputError(exc.problem, location=Location(field=f"{field}[{index}]")))
            continue
        if entry not in scope[kind]:
            scope[kind].append(entry)
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    return scope


def _scope_entry(key: str, text: str) -> tuple[str, str]:
    from dnscc.incidents.services import ROOT, normalize_ip_or_network

    if key in ("ips", "resolvers"):
        return key, normalize_ip_or_network(text)
    if text == ROOT and key in ("", "tlds", "names"):
        # The root, written as services writes it (an empty entry would be refused there).
        return key or "tlds", ROOT
    if not key and re.fullmatch(r"[0-9a-fA-F:./]+", text) and any(c in text for c in ".:"):
        try:
            return "ips", normalize_ip_or_network(text)
        except InputError:
            pass  # a numeric-looking name such as 1.example: try it as a name
    dotted = text.startswith(".")
    name = normalize_name(text[1:] if dotted else text)
    if key == "tlds" or (not key and (dotted or "." not in name)):
        if "." in name:
            raise InputError(f"{text!r} is not a top-level domain")
        return "tlds", name
    return "names", name


def _clean(data: dict[str, Any], *, anonymous: bool) -> dict[str, Any]:
    """The report's fields, checked; every problem named with its field."""
    errors: list[InputError] = []

    def text(name: str, limit: int | None = None, *, required: bool = False) -> str:
        value = data.get(name)
        value = "" if value is None else str(value).strip()
        if "\x00" in value:
            errors.append(InputError("contains a NUL character", location=Location(field=name)))
            value = value.replace("\x00", "")
        if required and not value:
            errors.append(InputError("is required", location=Location(field=name)))
        if limit is not None and len(value) > limit:
            errors.append(
                InputError(
                    f"is {len(value)} characters, over the limit of {limit}",
                    location=Location(field=name),
                )
            )
        return value

    out: dict[str, Any] = {
        "title": text("title", TITLE_MAX, required=True),
        "description": text("description"),
        "reporter_name": text("reporter_name", NAME_MAX),
        "reporter_email": text("reporter_email", 254, required=anonymous),
    }
    email = out["reporter_email"]
    if email and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", email):
        errors.append(
            InputError(
                f"{email!r} is not an email address", location=Location(field="reporter_email")
            )
        )
    dns_type = text("dns_type") or "other"
    if dns_type not in DNS_TYPES:
        errors.append(
            InputError(
                f"{dns_type!r} is not a DNS incident type",
                location=Location(field="dns_type"),
                hint="one of " + ", ".join(DNS_TYPES),
            )
        )
    out["dns_type"] = dns_type
    try:
        tlp = TLP.parse(text("tlp") or TLP.AMBER.value)
        if anonymous and tlp is TLP.RED:
            raise InputError(
                "TLP:RED is for named individuals: an anonymous report cannot be RED",
                location=Location(field="tlp"),
                hint="use AMBER+STRICT; the center's staff only will read it",
            )
        out["tlp"] = tlp.value
    except InputError as exc:
        errors.append(exc)
    scope_value = data.get("scope") or ""
    if "\x00" in str(scope_value):
        errors.append(InputError("contains a NUL character", location=Location(field="scope")))
        scope_value = ""
    try:
        out["scope"] = parse_scope(scope_value)
    except ValidationErrors as exc:
        errors += exc.errors
    except InputError as exc:
        errors.append(exc)
    size = sum(
        len(str(v).encode())
        for v in (out["title"], out["description"], out["reporter_name"], scope_value)
    )
    if size > report_max_bytes():
        errors.insert(
            0,
            InputError(
                f"the report is {size} bytes, over the limit of {report_max_bytes()} bytes"
                " (DNSCC_REPORT_MAX_BYTES)",
                location=Location(field="description"),
                hint="shorten the description; send long evidence once the report is opened",
            ),
        )
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    return out


# -- routing --------------------------------------------------------------------------


def route(report: Report, *, now: datetime | None = None) -> str:
    """The desk a new report goes to: the desk on duty for the region of the reporter's
    organisation or of the first TLD of the scope ("" while no rota is configured)."""
    from dnscc.directory.models import Tld
    from dnscc.incidents import desks

    region = ""
    if report.organization_id:
        region = getattr(report.organization, "region", "") or ""
    if not region:
        tlds = [
            *report.scope.get("tlds", []),
            *(n.rsplit(".", 1)[-1] for n in report.scope.get("names", [])),
        ]
        for tld in Tld.objects.filter(name__in=tlds).select_related("operator"):
            region = (tld.operator.region if tld.operator else "") or tld.region
            if region:
                break
    try:
        return (desks.desk_for_region(region, now) if region else desks.on_duty(now)) or ""
    except NotImplementedError:
        # The rota is not there yet: the report reaches every desk's triage list.
        return ""


# -- rate limit of the public form ------------------------------------------------------


def _parse_rate(text: str) -> tuple[int, float]:
    """'5/hour' -> (submissions, window in seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*", text or "")
    if not match or int(match.group(1)) < 1:
        raise ConfigError(
            f"DNSCC_REPORT_RATE={text!r} is not a rate",
            hint="write N/second, N/minute, N/hour or N/day, e.g. 5/hour",
        )
    per = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[match.group(2)]
    return int(match.group(1)), float(per)


def _client(ip: str) -> str:
    """An IPv4 address, or the /64 of an IPv6 address (one subscriber holds a whole /64 and
    could otherwise take a fresh address per report); text that is no address as is."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return (ip or "").strip()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def client_key(ip: str) -> str:
    """The client as the rate limit remembers it (see _client): keyed, so the audit log does
    not hold reporters' addresses in clear."""
    client = _client(ip)
    return hmac.new(
        settings.SECRET_KEY.encode(), f"report:{client}".encode(), "sha256"
    ).hexdigest()[:32]


def retry_after(ip: str, *, now: datetime | None = None, pending: int = 0) -> float:
    """0 when this client may submit a report now, else the seconds to wait: at most N
    submissions (DNSCC_REPORT_RATE "N/period") in any window of one period, counted in the
    audit log (shared by every process). `pending`: submissions already counted that are
    this request's own (the re-check after recording)."""
    limit, seconds = _parse_rate(settings.REPORT_RATE)
    now = now or timezone.now()
    window = timedelta(seconds=seconds)
    stamps = list(
        AuditEvent.objects.filter(
            action=SUBMIT_ACTION, object_id=client_key(ip), at__gt=now - window
        )
        .order_by("at", "seq")
        .values_list("at", flat=True)
    )
    if len(stamps) - pending < limit:
        return 0.0
    # The window frees a place when the submission that fills it ages out.
    oldest = stamps[len(stamps) - pending - limit]
    return max(0.001, (oldest + window - now).total_seconds())


# -- submitting -----------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status_url(report: Report) -> str:
    return f"{settings.BASE_URL}/report/status/{report.status_token}/"


def confirm_url(token: str) -> str:
    return f"{settings.BASE_URL}/report/confirm/{token}/"


def submit_public_report(data: dict[str, Any], *, client_ip: str) -> Report:
    """The anonymous web form. The report waits, unconfirmed, for its reporter to follow the
    link mailed to the given address. `report.confirm_token` holds the link's secret on the
    returned object only (its digest is stored)."""
    from dnscc.outreach import services as outreach

    clean = _clean(data, anonymous=True)
    _check_rate(client_ip)  # cheap refusal before any write
    token = new_token()
    with transaction.atomic():
        report = Report.objects.create(
            source=Report.WEB,
            state=Report.UNCONFIRMED,
            confirm_digest=_digest(token),
            created_at=timezone.now(),
            **clean,
        )
        audit.record(
            audit.Actor(f"reporter:{clean['reporter_email']}"[:150]),
            SUBMIT_ACTION,
            object_type="client",
            object_id=client_key(client_ip),
            summary=f"web report {report.pk} submitted",
            data={"report": report.pk},
        )
        # audit.record holds the audit head's row lock until this transaction ends: a
        # parallel submission waits here, then counts ours. Over the limit: roll it all back.
        _check_rate(client_ip, pending=1)
        outreach.queue_mail_to_address(
            "report_confirmation",
            clean["reporter_email"],
            {
                "title": report.title,
                "email": clean["reporter_email"],
                "link": confirm_url(token),
                "hours": UNCONFIRMED_HOURS,
            },
        )
    report.confirm_token = token  # type: ignore[attr-defined]
    return report


def _check_rate(client_ip: str, *, pending: int = 0) -> None:
    wait = retry_after(client_ip, pending=pending)
    if wait > 0:
        raise RateLimited(
            "Too many reports from your address. "
            f"Please try again in {max(1, round(wait / 60))} minute(s).",
            retry_after=wait,
        )


def submit_report(
    viewer: Viewer,
    actor: audit.Actor,
    data: dict[str, Any],
    *,
    user: Any = None,
    exercise: int | None = None,
) -> Report:
    """A report through the API by any account with a role; a member's report carries its
    organisation. It is `new` at once: the account vouches for the reporter. `exercise`
    marks an exercise's synthetic report (core.exercise_mark)."""
    if viewer.role is None or viewer.user_id is None:
        raise PermissionDenied("Your account has no role in the center yet.")
    clean = _clean(data, anonymous=False)
    if clean["tlp"] == TLP.RED.value and not viewer.is_staff:
        # A RED report is its author's alone: an operator's would reach no coordinator.
        raise InputError(
            "TLP:RED reports are for center staff: no coordinator could read yours",
            location=Location(field="tlp"),
            hint="use AMBER+STRICT; the center's staff only will read it",
        )
    if user is not None:
        clean["reporter_name"] = clean["reporter_name"] or user.get_full_name() or actor.name
        clean["reporter_email"] = clean["reporter_email"] or (user.email or "")
    with transaction.atomic():
        report = Report(
            source=Report.API,
            state=Report.NEW,
            reporter_user_id=viewer.user_id,
            organization_id=None if viewer.is_staff else viewer.organization_id,
            created_at=timezone.now(),
            exercise=exercise,
            **clean,
        )
        report.desk = route(report)
        report.save(force_insert=True)
        audit.record(
            actor,
            "incident.report",
            obj=report,
            summary=f"report {report.pk} by API: {report.title}",
            data={"source": report.source, "desk": report.desk},
        )
    return report


def create_mail_report(
    *,
    title: str,
    text: str,
    sender: str,
    organization: Any = None,
    signed_by: str = "",
    exercise: int | None = None,
) -> Report:
    """A report that arrived by mail (incidents.mail): `new`, with the verified signer's
    organisation when the mail was signed by a directory contact's key. `exercise` marks an
    exercise's simulated mail from a registry (core.exercise_mark)."""
    title = " ".join((title or "").split())[:TITLE_MAX] or "(no subject)"
    with transaction.atomic():
        report = Report(
            source=Report.MAIL,
            state=Report.NEW,
            title=title,
            description=text,
            reporter_email=sender[:254],
            organization=organization,
            signed_by=signed_by,
            tlp=TLP.AMBER.value,
            created_at=timezone.now(),
            exercise=exercise,
        )
        report.desk = route(report)
        report.save(force_insert=True)
        audit.record(
            audit.Actor(f"mail:{sender}"[:150]),
            "incident.report",
            obj=report,
            summary=f"report {report.pk} by mail: {title}"[:300],
            data={"source": report.source, "signed_by": signed_by, "desk": report.desk},
        )
    return report


def _unconfirmed(token: str) -> Report:
    cutoff = timezone.now() - timedelta(hours=UNCONFIRMED_HOURS)
    report = Report.objects.filter(
        state=Report.UNCONFIRMED, confirm_digest=_digest(token or ""), created_at__gte=cutoff
    ).first()
    if report is None or not token:
        raise NotFoundError("This confirmation link is unknown, already used or expired.")
    return report


def pending_confirmation(token: str) -> Report:
    """The report a confirmation link is for (NotFoundError once used or expired)."""
    return _unconfirmed(token)


def confirm_report(token: str) -> Report:
    """The reporter followed the link: the report becomes `new` and goes to a desk."""
    report = _unconfirmed(token)
    now = timezone.now()
    desk = route(report, now=now)
    with transaction.atomic():
        changed = Report.objects.filter(pk=report.pk, state=Report.UNCONFIRMED).update(
            state=Report.NEW, confirmed_at=now, confirm_digest="", desk=desk
        )
        if changed != 1:
            raise NotFoundError("This confirmation link is unknown, already used or expired.")
        report.refresh_from_db()
        audit.record(
            audit.Actor(f"reporter:{report.reporter_email}"[:150]),
            "incident.report",
            obj=report,
            summary=f"report {report.pk} confirmed by its reporter: {report.title}"[:300],
            data={"source": report.source, "desk": desk},
        )
    return report


def purge_unconfirmed(*, now: datetime | None = None) -> int:
    """Delete web reports whose reporter never confirmed them within UNCONFIRMED_HOURS (they
    are already invisible: to triage, to their status link, to a late confirmation). What a
    stranger typed into the public form, with an address that never answered, is not kept.
    The audit log keeps that the submissions happened (the rate limit counts them there),
    and one entry records the purge. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=UNCONFIRMED_HOURS)
    with transaction.atomic():
        stale = Report.objects.filter(state=Report.UNCONFIRMED, created_at__lt=cutoff)
        ids = list(stale.values_list("pk", flat=True)[:10_000])
        if not ids:
            return 0
        deleted, _ = Report.objects.filter(pk__in=ids, state=Report.UNCONFIRMED).delete()
        audit.record(
            audit.Actor("system:intake"),
            "incident.reports_purged",
            summary=f"{deleted} unconfirmed web report(s) older than {UNCONFIRMED_HOURS} h deleted",
            data={"count": deleted, "ids": ids[:100], "cutoff": cutoff.isoformat()},
        )
    return deleted


def report_by_status_token(token: str) -> Report:
    """What the reporter's status link shows (expired unconfirmed reports are gone)."""
    cutoff = timezone.now() - timedelta(hours=UNCONFIRMED_HOURS)
    report = (
        Report.objects.filter(status_token=token or "-")
        .exclude(state=Report.UNCONFIRMED, created_at__lt=cutoff)
        .first()
    )
    if report is None:
        raise NotFoundError("There is no report behind this link.")
    return report


# -- monitoring alerts ----------------------------------------------------------------


def dns_type_for_finding(code: str, zone: str = "x") -> str:
    """The DNS incident type of a monitoring finding code (see probe/profile.toml)."""
    code = (code or "").upper()
    if code in ("DNSCC_HIJACK", "DNSCC_DELEGATION_CHANGED") or "HIJACK" in code:
        return "domain-hijack"
    if code.startswith("DNSSEC") or code == "DNSCC_SIG_EXPIRY":
        return "dnssec-failure"
    if "REWRITE" in code:
        return "response-rewriting"
    if "ROOT" in code or not zone:
        return "root-server-anomaly"
    # Zonemaster's Basic (no delegation, no working server) and Connectivity (servers not
    # answering) test cases are a delegation that does not work, like Delegation's.
    if code.startswith(("DELEGATION", "CONSISTENCY", "BASIC", "CONNECTIVITY")):
        return "broken-delegation"
    return "other"


def report_for_alert(alert: Any) -> Report:
    """The report a monitoring alert opens (idempotent: one report per alert)."""
    existing = Report.objects.filter(alert=alert).first()
    if existing is not None:
        return existing
    finding = alert.finding
    zone = finding.zone or ""
    grouped = _group_with_open_report(alert, finding, zone)
    if grouped is not None:
        return grouped
    where = f".{zone}" if zone else "the root zone"
    scope = empty_scope()
    if zone:
        scope["tlds"].append(zone)
    report = Report.objects.create(
        source=Report.ALERT,
        state=Report.NEW,
        title=alert.title[:TITLE_MAX],
        description=f"{finding.code} ({finding.severity}) on {where}: {finding.message}",
        dns_type=dns_type_for_finding(finding.code, zone),
        scope=scope,
        tlp=TLP.AMBER.value,
        organization=alert.organization,
        alert=alert,
        desk=alert.desk,
        reporter_name="monitoring",
        created_at=alert.opened_at or timezone.now(),
        exercise=alert.exercise,
    )
    audit.record(
        audit.SYSTEM,
        "incident.report",
        obj=report,
        summary=f"report {report.pk} from alert {alert.pk}: {report.title}"[:300],
        data={"source": report.source, "alert": alert.pk, "desk": report.desk},
    )
    return report


def _group_with_open_report(alert: Any, finding: Any, zone: str) -> Report | None:
    """One faulty server of an operator that serves many TLDs opens one alert per TLD; the
    desk gets one report for them all: the same finding code on the same server, for the
    same organisation, joins the report still waiting for triage (its scope grows)."""
    if not finding.server or not zone:
        return None
    report = (
        Report.objects.select_for_update()
        .filter(
            source=Report.ALERT,
            state=Report.NEW,
            organization=alert.organization,
            alert__finding__code=finding.code,
            alert__finding__server=finding.server,
            exercise=alert.exercise,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if report is None:
        return None
    scope = {**empty_scope(), **(report.scope or {})}
    if zone not in scope["tlds"]:
        scope["tlds"] = [*scope["tlds"], zone]
    count = len(scope["tlds"])
    report.scope = scope
    report.title = f"{finding.code} on {count} TLDs served by {finding.server}"[:TITLE_MAX]
    report.description = (
        f"{report.description}\n{finding.code} ({finding.severity}) on .{zone}: {finding.message}"
    )[:REPORT_DESCRIPTION_MAX]
    report.save(update_fields=["scope", "title", "description"])
    audit.record(
        audit.SYSTEM,
        "incident.report_grouped",
        obj=report,
        summary=f"alert {alert.pk} (.{zone}) joins report {report.pk}",
        data={"alert": alert.pk, "zone": zone, "tlds": count},
    )
    return report


def _alert_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any) -> None:
    if created and not raw:
        report_for_alert(instance)


def connect() -> None:
    """Connect the monitoring alert receiver (idempotent: a dispatch_uid)."""
    from django.db.models.signals import post_save

    from dnscc.monitoring.models import Alert

    post_save.connect(_alert_saved, sender=Alert, dispatch_uid="dnscc.incidents.intake.alert")


# -- triage ---------------------------------------------------------------------------


def visible_reports(viewer: Viewer) -> Any:
    """Staff: every report past confirmation; a member: its own reports. TLP (can_see)
    decides on top, so a RED report is its author's alone."""
    if viewer.role is None or viewer.user_id is None:
        return Report.objects.none()
    qs = Report.objects.select_related("organization", "incident", "alert")
    if viewer.is_staff:
        qs = qs.exclude(state=Report.UNCONFIRMED)
    else:
        qs = qs.filter(reporter_user_id=viewer.user_id)
    if viewer.is_staff:
        # Only RED needs the per-object rule; everything else is visible to staff.
        qs = qs.filter(~Q(tlp=TLP.RED.value) | Q(reporter_user_id=viewer.user_id))
    return qs


def search_reports(
    viewer: Viewer,
    *,
    state: str = "",
    desk: str = "",
    source: str = "",
    limit: int = 500,
    exercises: bool = False,
) -> list[Report]:
    """The reports the viewer may see, filtered; an exercise's synthetic reports only when
    `exercises` asks for them (core.exercise_mark)."""
    qs = visible_reports(viewer)
    if not exercises:
        qs = qs.filter(exercise__isnull=True)
    if state == "open":
        qs = qs.filter(state=Report.NEW)
    elif state and state != "all":
        qs = qs.filter(state=state)
    if desk:
        qs = qs.filter(desk__in=[desk, ""])
    if source:
        qs = qs.filter(source=source)
    return [r for r in qs[: max(1, min(limit, 5000))] if can_see(viewer, r.labelled())]


def get_report(viewer: Viewer, report_id: int) -> Report:
    """NotFoundError when it does not exist or the viewer may not see it."""
    report = visible_reports(viewer).filter(pk=report_id).first()
    if report is None or not can_see(viewer, report.labelled()):
        raise NotFoundError(f"no report {report_id}")
    return report


def _require_staff(viewer: Viewer) -> None:
    staff_only(viewer, "triage reports")


def _claim(report: Report, state: str, actor: audit.Actor, **fields: Any) -> None:
    """Take the decision once: a compare-and-set on `new`, so two coordinators deciding at
    once cannot both win."""
    now = timezone.now()
    changed = Report.objects.filter(pk=report.pk, state=Report.NEW).update(
        state=state, decided_by=actor.name[:150], decided_at=now, **fields
    )
    if changed != 1:
        report.refresh_from_db()
        if report.state == Report.UNCONFIRMED:
            raise ConflictError("This report is not confirmed by its reporter yet.")
        raise ConflictError(
            f"This report was already decided ({report.get_state_display().lower()}"
            f" by {report.decided_by or 'someone'}).",
            hint="reload it; a decided report cannot be decided again",
        )
    report.refresh_from_db()


def _reporter_mail(report: Report, text: str) -> None:
    """Tell the reporter, when the address is one we may write to: a confirmed web report
    or an account's. A mail report's sender address is not verified (no backscatter)."""
    from dnscc.outreach import services as outreach

    if not report.reporter_email or report.source not in (Report.WEB, Report.API):
        return
    outreach.queue_mail_to_address(
        "report_decision",
        report.reporter_email,
        {"title": report.title, "text": text, "link": status_url(report)},
    )


def _incident_data(report: Report, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": report.title,
        "summary": report.description[:5000],
        "dns_type": report.dns_type,
        "tlp": report.tlp,
        "scope": report.scope,
        **({"desk": report.desk} if report.desk else {}),
        **{k: v for k, v in data.items() if v not in (None, "")},
    }


def _report_entry(incident: Incident, report: Report, how: str, actor: audit.Actor) -> None:
    timeline.add(
        incident,
        "report",
        f"Report {report.pk} ({report.get_source_display()}) {how}: {report.title}",
        actor=actor.name,
        data={"report": report.pk, "source": report.source, "decision": report.state},
    )


def open_report(
    viewer: Viewer,
    actor: audit.Actor,
    report: Report,
    data: dict[str, Any] | None = None,
    *,
    user: Any = None,
) -> Incident:
    """Open the report as a new incident (services.create_incident): its title, description,
    type, TLP, scope and desk, overridden by `data` (impact, urgency, ...)."""
    from dnscc.incidents import services

    _require_staff(viewer)
    with transaction.atomic():
        _claim(report, Report.OPENED, actor)
        incident = services.create_incident(
            viewer, actor, _incident_data(report, data or {}), user=user, exercise=report.exercise
        )
        Report.objects.filter(pk=report.pk).update(incident=incident)
        report.incident = incident
        _report_entry(incident, report, "opened as this incident", actor)
        audit.record(
            actor,
            "incident.report_open",
            obj=report,
            summary=f"report {report.pk} opened as {incident.ref}",
            data={"incident": incident.ref},
        )
        _reporter_mail(report, "Accepted: it is handled as a new incident by the duty desk.")
    return incident


def _target(viewer: Viewer, ref: str, report: Report | None = None) -> Incident:
    from dnscc.incidents import services

    if not (ref or "").strip():
        raise InputError("name the incident (its reference)", location=Location(field="ref"))
    incident = services.get_incident(viewer, ref.strip())
    if report is not None and report.exercise != incident.exercise:
        # An exercise must never touch live work, nor live work an exercise's.
        raise InputError(
            f"report {report.pk} and {incident.ref} belong to different worlds "
            f"({_world(report.exercise)} and {_world(incident.exercise)})",
            location=Location(field="ref"),
            hint="an exercise's report joins only an incident of the same exercise",
        )
    return incident


def _world(exercise: int | None) -> str:
    from dnscc.core.exercise_mark import ref_of

    return "live" if exercise is None else f"exercise {ref_of(exercise)}"


def merge_report(viewer: Viewer, actor: audit.Actor, report: Report, ref: str) -> Incident:
    """Fold the report into an existing incident: its scope joins the incident's scope
    (services.update_incident, which recomputes the parties)."""
    from dnscc.incidents import services

    _require_staff(viewer)
    with transaction.atomic():
        incident = _target(viewer, ref, report)
        _claim(report, Report.MERGED, actor, incident=incident)
        scope = {k: list(v) for k, v in (incident.scope or empty_scope()).items()}
        added = []
        for key, entries in (report.scope or {}).items():
            for entry in entries:
                if entry not in scope.setdefault(key, []):
                    scope[key].append(entry)
                    added.append(entry)
        if added:
            incident = services.update_incident(
                viewer, actor, incident, {"scope": scope}, version=incident.version
            )
        _report_entry(incident, report, "merged into this incident", actor)
        audit.record(
            actor,
            "incident.report_merge",
            obj=report,
            summary=f"report {report.pk} merged into {incident.ref}",
            data={"incident": incident.ref, "scope_added": added},
        )
        _reporter_mail(report, "Accepted: it is handled with an incident already open.")
    return incident


def link_report(viewer: Viewer, actor: audit.Actor, report: Report, ref: str) -> Incident:
    """Keep the report beside an incident it relates to (the incident is unchanged)."""
    _require_staff(viewer)
    with transaction.atomic():
        incident = _target(viewer, ref, report)
        _claim(report, Report.LINKED, actor, incident=incident)
        _report_entry(incident, report, "linked to this incident", actor)
        audit.record(
            actor,
            "incident.report_link",
            obj=report,
            summary=f"report {report.pk} linked to {incident.ref}",
            data={"incident": incident.ref},
        )
        _reporter_mail(report, "Accepted: it is kept with a related incident.")
    return incident


def reject_report(viewer: Viewer, actor: audit.Actor, report: Report, reason: str) -> Report:
    """Refuse the report. The reporter reads the reason on the status page and by mail."""
    _require_staff(viewer)
    reason = (reason or "").strip()
    if not reason:
        raise InputError(
            "give the reason: the reporter reads it", location=Location(field="reason")
        )
    if len(reason) > 2000:
        raise InputError(
            f"is {len(reason)} characters, over the limit of 2000",
            location=Location(field="reason"),
        )
    with transaction.atomic():
        _claim(report, Report.REJECTED, actor, rejection_reason=reason)
        audit.record(
            actor,
            "incident.report_reject",
            obj=report,
            summary=f"report {report.pk} rejected",
            data={"reason": reason[:500]},
        )
        _reporter_mail(report, f"Not taken up. Reason: {reason}")
    return report


def report_dict(report: Report) -> dict[str, Any]:
    """The report as the API and the CLI show it."""
    return {
        "id": report.pk,
        "source": report.source,
        "state": report.state,
        "title": report.title,
        "description": report.description,
        "dns_type": report.dns_type,
        "scope": report.scope,
        "tlp": report.tlp,
        "reporter_name": report.reporter_name,
        "reporter_email": report.reporter_email,
        "organization": report.organization.slug if report.organization else None,
        "signed_by": report.signed_by,
        "alert": report.alert_id,
        "desk": report.desk,
        "incident": report.incident.ref if report.incident else None,
        "decided_by": report.decided_by,
        "decided_at": report.decided_at,
        "rejection_reason": report.rejection_reason,
        "created_at": report.created_at,
        "confirmed_at": report.confirmed_at,
        "exercise": report.exercise,
    }
