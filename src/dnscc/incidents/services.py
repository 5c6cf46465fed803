"""Incident services: the only way views, the API, the CLI, intake, SLA checks and campaigns
change incidents. Plain functions taking a Viewer (who asks; TLP decides) and an
audit.Actor (who is recorded), returning model objects. Every change writes its timeline
entry (incidents.timeline.add) and its audit entry in one transaction.

CONTRACT (signatures fixed; bodies by the services owner). Errors are dnscc.core.errors:
PermissionDenied, NotFoundError, InputError/ValidationErrors, ConflictError (a stale
`version`: "changed by X at T since you loaded it; reload and apply your change again").

Who sees what: staff see every incident TLP lets them see (`core.tlp.can_see`; RED only
its author). An operator or partner sees only the incidents where its organisation is a
party, and of those only its own party: another organisation's party is "not found"
(404, never 403), so that its existence does not leak.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import REGION_CHOICES
from dnscc.accounts.services import staff_only
from dnscc.core import taxonomy
from dnscc.core.errors import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDenied,
    ValidationErrors,
)
from dnscc.core.names import normalize_ip, normalize_name, tld_of
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.incidents import timeline
from dnscc.incidents.models import (
    Attachment,
    Incident,
    IncidentLink,
    Party,
    Task,
    TimelineEntry,
    empty_scope,
)

SCOPE_KEYS = ("names", "tlds", "ips", "resolvers")
ROOT = "."  # how the root is written in a scope
_DESKS = {code for code, _ in REGION_CHOICES}
_TRUE = {"1", "true", "yes", "on"}
# Statuses an incident may move to from each status (closing needs a resolution).
_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Incident.NEW: (Incident.OPEN, Incident.CLOSED),
    Incident.OPEN: (Incident.MITIGATED, Incident.CLOSED),
    Incident.MITIGATED: (Incident.OPEN, Incident.CLOSED),
    Incident.CLOSED: (Incident.OPEN,),
}
# A party further along than this is not moved back by an acknowledgement.
_ACKNOWLEDGED_OR_LATER = (
    Party.ACKNOWLEDGED,
    Party.MITIGATING,
    Party.MITIGATED,
    Party.NOT_AFFECTED,
)
_DONE = (Party.MITIGATED, Party.NOT_AFFECTED)
# Parties a notice has not reached: notify_parties takes them by default.
NOT_REACHED = _NOT_REACHED = (Party.NOT_CONTACTED, Party.UNREACHABLE, Party.DELIVERY_FAILED)
_VIA = {"signed-reply": "mail", "reply": "mail"}


@dataclass
class IncidentFilters:
    """The incident list's filters; a saved view stores them as a query string."""

    q: str = ""  # ref, title or a name/TLD in the scope
    status: list[str] = field(default_factory=list)  # empty: every status but closed
    severity: list[str] = field(default_factory=list)
    dns_type: str = ""
    desk: str = ""
    mine: bool = False  # owned by the viewer
    breached: bool = False  # with an open SLA breach
    # Show exercise data: incidents an exercise caused are left out unless asked for
    # (core.exercise_mark); with it, live and exercise incidents are listed together.
    exercises: bool = False

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> IncidentFilters:
        """From a QueryDict or a plain dict; lists accept repeated keys or commas."""

        def many(key: str) -> list[str]:
            if hasattr(query, "getlist"):
                values = query.getlist(key)
            else:
                raw = query.get(key, [])
                values = raw if isinstance(raw, list | tuple) else [raw]
            out: list[str] = []
            for value in values:
                out += [v.strip().lower() for v in str(value or "").split(",") if v.strip()]
            return out

        def one(key: str) -> str:
            value = query.get(key, "")
            if isinstance(value, list | tuple):
                value = value[-1] if value else ""
            return str(value or "").strip()

        filters = cls(
            q=one("q")[:200],
            status=many("status"),
            severity=many("severity"),
            dns_type=one("dns_type").lower(),
            desk=one("desk").upper(),
            mine=one("mine").lower() in _TRUE,
            breached=one("breached").lower() in _TRUE,
            exercises=one("exercises").lower() in _TRUE,
        )
        filters.check()
        return filters

    def check(self) -> None:
        """InputError naming the field of a value no incident can have."""
        statuses = {s for s, _ in Incident.STATUS_CHOICES}
        for value in self.status:
            if value not in statuses:
                raise InputError(
                    f"unknown status {value!r}",
                    location=Location(field="status"),
                    hint="one of " + ", ".join(sorted(statuses)),
                )
        for value in self.severity:
            if value not in taxonomy.SEVERITIES:
                raise InputError(
                    f"unknown severity {value!r}",
                    location=Location(field="severity"),
                    hint="one of " + ", ".join(taxonomy.SEVERITIES),
                )
        if self.dns_type and self.dns_type not in taxonomy.DNS_TYPES:
            raise InputError(
                f"unknown incident type {self.dns_type!r}",
                location=Location(field="dns_type"),
                hint="one of " + ", ".join(taxonomy.DNS_TYPES),
            )
        if self.desk and self.desk not in _DESKS:
            raise InputError(
                f"unknown desk {self.desk!r}",
                location=Location(field="desk"),
                hint="one of " + ", ".join(sorted(_DESKS)),
            )

    def to_query(self) -> str:
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("status", s) for s in self.status]
        pairs += [("severity", s) for s in self.severity]
        if self.dns_type:
            pairs.append(("dns_type", self.dns_type))
        if self.desk:
            pairs.append(("desk", self.desk))
        if self.mine:
            pairs.append(("mine", "1"))
        if self.breached:
            pairs.append(("breached", "1"))
        if self.exercises:
            pairs.append(("exercises", "1"))
        return urlencode(pairs)


# --- helpers ------------------------------------------------------------------------------


def _require_staff(viewer: Viewer, what: str = "do this") -> None:
    staff_only(viewer, what)


def _when(at: datetime | None) -> str:
    return f"{at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M:%S} UTC" if at else "unknown time"


def _stale(what: str, by: str, at: datetime | None) -> ConflictError:
    return ConflictError(
        f"{what} was changed by {by or 'someone'} at {_when(at)} since you loaded it;"
        " reload and apply your change again",
        hint="reload to get the current version",
    )


def stale_conflict(what: str, by: str, at: datetime | None) -> ConflictError:
    """The conflict of a stale form: `what` changed by `by` at `at` since it was loaded."""
    return _stale(what, by, at)


def _last_change(incident_id: int, kinds: tuple[str, ...] = ()) -> tuple[str, datetime | None]:
    qs = TimelineEntry.objects.filter(incident_id=incident_id)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    entry = qs.order_by("-at", "-id").first()
    return (entry.actor, entry.at) if entry else ("", None)


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    return check_text(value, field=field, max_length=max_length, required=required)


def _user(username: str, *, field: str) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InputError(f"no user {username!r}", location=Location(field=field))
    return user


def _default_desk() -> str:
    from dnscc.incidents import desks

    try:
        return desks.on_duty()
    except NotImplementedError:  # the rota is built by the desks owner; no desk until then
        return ""


def normalize_scope(scope: Any) -> dict[str, list[str]]:
    """The scope with every entry normalised; ValidationErrors names each bad entry as
    `scope.FIELD[INDEX]` (0-based). TLDs may be written ".de"; "." is the root."""
    if scope is None:
        return empty_scope()
    if not isinstance(scope, dict):
        raise InputError(
            "scope must be an object with names, tlds, ips and resolvers",
            location=Location(field="scope"),
        )
    unknown = sorted(set(scope) - set(SCOPE_KEYS))
    if unknown:
        raise InputError(
            f"unknown scope field {unknown[0]!r}",
            location=Location(field=f"scope.{unknown[0]}"),
            hint="use names, tlds, ips and resolvers",
        )
    out = empty_scope()
    errors: list[InputError] = []
    for key in SCOPE_KEYS:
        values = scope.get(key) or []
        if isinstance(values, str):
            values = [v for v in re.split(r"[\s,]+", values) if v]
        if not isinstance(values, list | tuple):
            errors.append(InputError("must be a list", location=Location(field=f"scope.{key}")))
            continue
        seen: set[str] = set()
        for index, raw in enumerate(values):
            where = Location(field=f"scope.{key}[{index}]")
            try:
                value = _scope_entry(key, raw)
            except InputError as exc:
                errors.append(InputError(exc.problem, location=where, hint=exc.hint))
                continue
            if value not in seen:
                seen.add(value)
                out[key].append(value)
    if errors:
        raise ValidationErrors(errors)
    return out


def _scope_entry(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InputError(f"{raw!r} is not text")
    text = raw.strip()
    if "\x00" in text:
        raise InputError("contains a NUL character", hint="remove it")
    if key in ("ips", "resolvers"):
        return normalize_ip_or_network(text)
    if text in (".", ""):
        if not text:
            raise InputError("empty entry", hint="remove it, or write '.' for the root")
        return ROOT
    if key == "tlds":
        name = normalize_name(text[1:] if text.startswith(".") else text)
        if "." in name:
            raise InputError(f"{raw!r} is not a top-level domain", hint="write a TLD as .de or de")
        return name
    return normalize_name(text)


def normalize_ip_or_network(text: str) -> str:
    """An address (compressed text form) or a network such as 192.0.2.0/24 (host bits
    dropped: strict=False); a single-address network is written as the address."""
    if "/" not in text:
        return normalize_ip(text)
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise InputError(
            f"{text!r} is not an IP address or network",
            hint="write an address as 192.0.2.1 or a range as 192.0.2.0/24 or 2001:db8::/48",
        ) from None
    if net.num_addresses == 1:
        return str(net.network_address)
    return net.compressed


def _ip_matches(entry: str, ip_orgs: dict[str, Any]) -> list[tuple[str, Any]]:
    """(address, orgs) of the directory's name-server addresses an entry covers: the address
    itself, or every known address inside a network."""
    if "/" not in entry:
        orgs = ip_orgs.get(entry, ())
        return [(entry, orgs)] if orgs else []
    try:
        net = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return []
    found = []
    for address, orgs in ip_orgs.items():
        try:
            if ipaddress.ip_address(address) in net:
                found.append((address, orgs))
        except ValueError:
            continue
    return found


# --- visibility ---------------------------------------------------------------------------


def visible_incidents(viewer: Viewer) -> Any:
    """QuerySet of the incidents the viewer may see: staff by TLP (core.tlp.can_see);
    an operator or partner only incidents where its organisation is a party."""
    # The queryset mirrors can_see for speed; get_incident asks can_see itself as well.
    qs = Incident.objects.all()
    if viewer.role is None or viewer.user_id is None:
        return qs.none()
    not_red = ~Q(tlp=TLP.RED.value)
    red_mine = Q(tlp=TLP.RED.value, created_by_id=viewer.user_id)
    if viewer.is_staff:
        return qs.filter(not_red | red_mine)
    if viewer.organization_id is None:
        return qs.none()
    # An organisation sees an incident once the center has told it (its party notified) or
    # its party moved on (set by hand, acknowledged): not while it is merely computed.
    party_ids = (
        Party.objects.filter(organization_id=viewer.organization_id)
        .filter(Q(notified_at__isnull=False) | ~Q(status=Party.NOT_CONTACTED))
        .values("incident_id")
    )
    return qs.filter(pk__in=party_ids).filter(not_red | red_mine)


def search_incidents(viewer: Viewer, filters: IncidentFilters) -> list[Incident]:
    filters.check()
    if "\x00" in filters.q:
        raise InputError("q contains a NUL character", location=Location(field="q"))
    if not viewer.is_staff:
        # Desks, owners and breaches are the center's business (as in the portal's list).
        filters = replace(filters, desk="", mine=False, breached=False)
    qs = visible_incidents(viewer)
    if not filters.exercises:
        qs = qs.filter(exercise__isnull=True)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    else:
        qs = qs.exclude(status=Incident.CLOSED)
    if filters.severity:
        qs = qs.filter(severity__in=filters.severity)
    if filters.dns_type:
        qs = qs.filter(dns_type=filters.dns_type)
    if filters.desk:
        qs = qs.filter(desk=filters.desk)
    if filters.mine:
        qs = qs.filter(owner_id=viewer.user_id)
    if filters.breached:
        qs = qs.filter(
            pk__in=Incident.objects.filter(breaches__resolved_at__isnull=True).values("pk")
        )
    q = filters.q.strip()
    if q and not viewer.is_staff:
        # The scope names other organisations: searching it would tell an operator whether
        # a name it guessed is in an incident it is a party to (an existence oracle).
        qs = qs.filter(Q(ref__icontains=q) | Q(title__icontains=q))
    elif q:
        term = q.lower().lstrip(".") or q
        qs = qs.filter(
            Q(ref__icontains=q)
            | Q(title__icontains=q)
            | Q(scope__names__icontains=term)
            | Q(scope__tlds__icontains=term)
            | Q(scope__ips__icontains=term)
            | Q(scope__resolvers__icontains=term)
        )
    return list(qs.select_related("owner")[:1000])


def get_incident(viewer: Viewer, ref: str) -> Incident:
    """NotFoundError when it does not exist or the viewer may not see it (no existence leak)."""
    incident = visible_incidents(viewer).filter(ref=str(ref).strip().upper()).first()
    if incident is None or not can_see(viewer, incident.labelled()):
        raise NotFoundError(f"no incident {ref!r}")
    return incident


def visible_parties(viewer: Viewer, incident: Incident) -> list[Party]:
    """The parties the viewer may see: staff all, an operator or partner only its own."""
    qs = incident.parties.select_related("organization")
    if not viewer.is_staff:
        qs = qs.filter(organization_id=viewer.organization_id or -1)
    return [_mask_note(viewer, p) for p in qs]


def party_note_for(viewer: Viewer, party: Party) -> str:
    """The party's note as the viewer may read it. Staff: always. An operator or partner:
    only a note its own organisation wrote, i.e. when the party's last status change (the
    note goes with it, see set_party_status) was made by an account of its organisation;
    a coordinator's or the SLA's note stays with the center."""
    if viewer.is_staff or not party.note:
        return party.note
    from dnscc.accounts.models import Account

    own = Account.objects.filter(
        organization_id=viewer.organization_id or -1,
        user__username=party.status_changed_by,
        user__is_active=True,
    ).exists()
    return party.note if own else ""


def _mask_note(viewer: Viewer, party: Party) -> Party:
    # In memory only: callers never save these objects (changes go through update()).
    party.note = party_note_for(viewer, party)
    return party


# --- creating and changing ----------------------------------------------------------------


def _next_ref(year: int) -> str:
    prefix = f"DNSCC-{year}-"
    # Past 9999 the number has five digits: order by length first, then as text.
    last = (
        Incident.objects.filter(ref__startswith=prefix)
        .annotate(n=Length("ref"))
        .order_by("-n", "-ref")
        .values_list("ref", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _clean_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate the editable fields present in `data`; every problem at once."""
    errors: list[InputError] = []
    out: dict[str, Any] = {}

    def attempt(key: str, fn: Any) -> None:
        if partial and key not in data:
            return
        try:
            out[key] = fn(data.get(key))
        except ValidationErrors as exc:
            errors.extend(exc.errors)
        except InputError as exc:
            errors.append(exc)

    attempt("title", lambda v: _text(v, field="title", max_length=300, required=True))
    attempt("summary", lambda v: _text(v, field="summary", max_length=20000))
    for key in ("dns_type", "type"):
        if key in data:
            attempt(key, lambda v: _dns_type(v))
    if not partial and "dns_type" not in out and "type" not in out:
        out["dns_type"] = "other"
    if "type" in out:
        out["dns_type"] = out.pop("type")
    for key in ("impact", "urgency"):
        attempt(key, lambda v, key=key: taxonomy.check_level(v or "medium", field=key))
    attempt("tlp", lambda v: TLP.parse(v or TLP.AMBER.value).value)
    attempt("scope", normalize_scope)
    attempt("desk", _desk)
    attempt("owner", lambda v: _user(_text(v, field="owner", max_length=150), field="owner"))
    if partial:
        attempt("status", _status)
        attempt("resolution", lambda v: _text(v, field="resolution", max_length=20000))
    if errors:
        raise ValidationErrors(errors)
    return out


def _dns_type(value: Any) -> str:
    try:
        return taxonomy.check_dns_type(str(value or "other")).code
    except InputError as exc:
        raise InputError(exc.problem, location=Location(field="dns_type"), hint=exc.hint) from None


def _desk(value: Any) -> str:
    desk = str(value or "").strip().upper()
    if desk and desk not in _DESKS:
        raise InputError(
            f"unknown desk {value!r}",
            location=Location(field="desk"),
            hint="one of " + ", ".join(sorted(_DESKS)),
        )
    return desk


def _status(value: Any) -> str:
    status = str(value or "").strip().lower()
    if status not in dict(Incident.STATUS_CHOICES):
        raise InputError(
            f"unknown status {value!r}",
            location=Location(field="status"),
            hint="one of " + ", ".join(s for s, _ in Incident.STATUS_CHOICES),
        )
    return status


def create_incident(
    viewer: Viewer,
    actor: audit.Actor,
    data: dict[str, Any],
    *,
    user: Any = None,
    exercise: int | None = None,
) -> Incident:
    """Staff only. data: title, summary, dns_type, impact, urgency, tlp, scope {names, tlds,
    ips, resolvers} (each normalised; bad entries reported with their field and index),
    desk (default: the desk on duty), owner. Severity from impact and urgency. Parties are
    computed from the scope (`compute_parties`). Timeline: created. `exercise` marks an
    incident an exercise caused (core.exercise_mark): its notices say EXERCISE and it is
    left out of live lists."""
    _require_staff(viewer, "open incidents")
    clean = _clean_fields(data, partial=False)
    kind = taxonomy.DNS_TYPES[clean["dns_type"]]
    now = timezone.now()
    creator = user if getattr(user, "is_authenticated", False) else None
    if creator is None and viewer.user_id:
        creator = get_user_model().objects.filter(pk=viewer.user_id).first()
    if clean["tlp"] == TLP.RED.value and creator is None:
        # RED is seen by its author only: without one, nobody could ever open it.
        raise InputError(
            "a TLP:RED incident needs a named author",
            location=Location(field="tlp"),
            hint="open it as a named account (the CLI's --as USER), or use AMBER+STRICT",
        )
    fields = {
        "title": clean["title"],
        "summary": clean["summary"],
        "dns_type": kind.code,
        "rsit_class": kind.rsit_class,
        "rsit_type": kind.rsit_type,
        "impact": clean["impact"],
        "urgency": clean["urgency"],
        "severity": taxonomy.severity(clean["impact"], clean["urgency"]),
        "tlp": clean["tlp"],
        "scope": clean["scope"],
        "desk": clean["desk"] or _default_desk(),
        "owner": clean["owner"],
        "created_by": creator,
        "created_at": now,
        "exercise": exercise,
    }
    # Two creators may compute the same next number: the unique ref refuses the second,
    # which takes the next number (each try in its own savepoint).
    for _attempt in range(50):
        try:
            with transaction.atomic():
                incident = Incident.objects.create(ref=_next_ref(now.year), **fields)
                parties = _sync_computed_parties(incident)
                timeline.add(
                    incident,
                    "created",
                    f"{incident.ref} opened: {incident.title}",
                    actor=actor.name,
                    data={
                        "severity": incident.severity,
                        "tlp": incident.tlp,
                        "scope": incident.scope,
                        "parties": len(parties["added"]),
                        "unknown": unknown_scope(incident),
                        **({"exercise": exercise} if exercise is not None else {}),
                    },
                )
                audit.record(
                    actor,
                    "incident.create",
                    obj=incident,
                    summary=f"{incident.ref}: {incident.title}",
                    data={"ref": incident.ref, "parties": len(parties["added"])},
                )
                return incident
        except IntegrityError:
            continue  # another creator took this number first
    raise ConflictError("could not allocate an incident number; try again")


def update_incident(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    data: dict[str, Any],
    *,
    version: int,
    confirm_drop: bool = False,
) -> Incident:
    """Staff only. Changes fields (title, summary, type, impact, urgency, tlp, scope, desk,
    owner); a scope change recomputes computed parties (manual ones stay). Triage: the first
    change from `new` to `open` sets triaged_at. Statuses: new -> open -> mitigated -> closed
    (closed needs a resolution; reopen allowed back to open). Conflict on a stale version.
    Computed parties the new scope no longer covers: removed when never contacted, set not
    affected otherwise, and when one has acknowledged already only with `confirm_drop`
    (a ConflictError asks for it; incidents.editing)."""
    _require_staff(viewer, "change incidents")
    clean = _clean_fields(data, partial=True)
    now = timezone.now()
    changes: dict[str, Any] = {}
    for key in ("title", "summary", "impact", "urgency", "tlp", "scope", "desk", "resolution"):
        if key in clean and clean[key] != getattr(incident, key):
            changes[key] = clean[key]
    if "dns_type" in clean and clean["dns_type"] != incident.dns_type:
        kind = taxonomy.DNS_TYPES[clean["dns_type"]]
        changes.update(dns_type=kind.code, rsit_class=kind.rsit_class, rsit_type=kind.rsit_type)
    if "owner" in clean and getattr(clean["owner"], "pk", None) != incident.owner_id:
        changes["owner"] = clean["owner"]
    if changes.get("tlp") == TLP.RED.value and incident.created_by_id is None:
        # As in create_incident: RED is its author's alone; without one nobody could see it.
        raise InputError(
            "a TLP:RED incident needs a named author, and this incident has none",
            location=Location(field="tlp"),
            hint="use AMBER+STRICT",
        )
    if "impact" in changes or "urgency" in changes:
        changes["severity"] = taxonomy.severity(
            changes.get("impact", incident.impact), changes.get("urgency", incident.urgency)
        )
    status = clean.get("status")
    if status and status != incident.status:
        if status not in _TRANSITIONS[incident.status]:
            raise InputError(
                f"an incident cannot go from {incident.status} to {status}",
                location=Location(field="status"),
                hint="allowed: " + ", ".join(_TRANSITIONS[incident.status]),
            )
        resolution = changes.get("resolution", incident.resolution)
        if status == Incident.CLOSED and not resolution:
            raise InputError(
                "closing an incident needs a resolution",
                location=Location(field="resolution"),
                hint="say how it ended (mitigated, false positive, duplicate, ...)",
            )
        changes["status"] = status
        if status == Incident.OPEN and incident.triaged_at is None:
            changes["triaged_at"] = now
        if status == Incident.MITIGATED and incident.mitigated_at is None:
            changes["mitigated_at"] = now
        if status == Incident.CLOSED:
            changes["closed_at"] = now
        if incident.status == Incident.CLOSED:
            changes["closed_at"] = None
    scope_change = None
    if "scope" in changes:
        from dnscc.incidents import editing  # it builds on this module

        scope_change = editing.scope_diff(incident, changes["scope"])
    with transaction.atomic():
        updated = Incident.objects.filter(pk=incident.pk, version=version).update(
            **changes, version=F("version") + 1
        )
        if not updated:
            by, at = _last_change(incident.pk)
            raise _stale(f"incident {incident.ref}", by, at)
        old = {k: _jsonable(getattr(incident, k)) for k in changes}
        incident.refresh_from_db()
        new = {k: _jsonable(getattr(incident, k)) for k in changes}
        parties: dict[str, list[int]] = {"added": [], "removed": []}
        if scope_change is not None:
            # The version check above came first: a stale form gets its conflict, not this.
            editing.check_drop(scope_change, confirm_drop=confirm_drop)
            parties = _sync_computed_parties(incident)
            editing.drop_out_of_scope(viewer, actor, scope_change)
        if "status" in changes:
            entry = (
                "triage" if changes["status"] == Incident.OPEN and old["status"] == "new" else ""
            )
            timeline.add(
                incident,
                entry or "state",
                f"status {old['status']} -> {new['status']}",
                actor=actor.name,
                data={"from": old["status"], "to": new["status"]},
            )
        others = sorted(set(changes) - {"status", "triaged_at", "closed_at", "mitigated_at"})
        if others:
            timeline.add(
                incident,
                "state",
                "changed " + ", ".join(others),
                actor=actor.name,
                data={"from": {k: old[k] for k in others}, "to": {k: new[k] for k in others}},
            )
        if parties["added"] or parties["removed"]:
            timeline.add(
                incident,
                "party",
                f"scope changed: {len(parties['added'])} party(ies) added,"
                f" {len(parties['removed'])} removed",
                actor=actor.name,
                data=parties,
            )
        audit.record(
            actor,
            "incident.update",
            obj=incident,
            summary=f"{incident.ref}: {', '.join(sorted(changes)) or 'no change'}",
            data={"from": old, "to": new, "version": incident.version},
        )
        if changes.get("status") in (Incident.MITIGATED, Incident.CLOSED):
            from dnscc.incidents.from_alerts import resolve_with  # it builds on this module

            resolve_with(incident, actor)
    return incident


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "_meta"):
        return value.pk
    return value


def compute_parties(incident: Incident) -> list[tuple[int, str]]:
    """(organization id, reason) for the scope: names and TLDs through their TLD's operator,
    IPs through the name servers they host (directory lookup index), the root's operators
    for the root. TLDs without a known operator are reported by `unknown_scope`."""
    from dnscc.directory.lookup import get_index

    index = get_index()
    reasons: dict[int, list[str]] = {}
    scope = {**empty_scope(), **(incident.scope or {})}

    def add(orgs: Any, why: str) -> None:
        for org in orgs:
            reasons.setdefault(org.id, [])
            if why not in reasons[org.id]:
                reasons[org.id].append(why)

    for tld in scope["tlds"]:
        if tld == ROOT:
            add(index.root_orgs, "operates a root server")
        else:
            add(index.tld_orgs.get(tld, ()), f"operator of .{tld}")
    for name in scope["names"]:
        if name == ROOT:
            add(index.root_orgs, "operates a root server")
        else:
            tld = tld_of(name)
            add(index.tld_orgs.get(tld, ()), f"operator of .{tld} ({name})")
    for key, what in (("ips", "name server"), ("resolvers", "resolver")):
        for entry in scope[key]:
            for address, orgs in _ip_matches(entry, index.ip_orgs):
                add(orgs, f"{what} {address}")
    result = []
    for org_id, whys in reasons.items():
        text = ", ".join(whys)
        result.append((org_id, text if len(text) <= 300 else text[:297] + "..."))
    return result


def unknown_scope(incident: Incident) -> list[str]:
    """Scope entries for which the directory knows no operator."""
    from dnscc.directory.lookup import get_index

    index = get_index()
    scope = {**empty_scope(), **(incident.scope or {})}
    unknown: list[str] = []
    for tld in scope["tlds"]:
        if tld == ROOT:
            if not index.root_orgs:
                unknown.append(ROOT)
        elif not index.tld_orgs.get(tld):
            unknown.append(f".{tld}")
    for name in scope["names"]:
        if name != ROOT and not index.tld_orgs.get(tld_of(name)):
            unknown.append(name)
    for key in ("ips", "resolvers"):
        unknown += [ip for ip in scope[key] if not _ip_matches(ip, index.ip_orgs)]
    return unknown


def _sync_computed_parties(incident: Incident) -> dict[str, list[int]]:
    """Make the computed parties match the scope: add the new ones (in bulk), drop the
    computed ones no longer in it that were never contacted. Manual parties stay."""
    wanted = dict(compute_parties(incident))
    existing = {
        org_id: (pk, source, status, version)
        for pk, org_id, source, status, version in incident.parties.values_list(
            "pk", "organization_id", "source", "status", "version"
        )
    }
    new = [
        Party(
            incident=incident,
            organization_id=org_id,
            source=Party.COMPUTED,
            reason=reason,
            role="affected",
        )
        for org_id, reason in wanted.items()
        if org_id not in existing
    ]
    # A concurrent scope edit may have added the same party meanwhile: the unique
    # (incident, organization) keeps one, and ours is skipped rather than failing.
    Party.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    gone = {
        pk: (org_id, version)
        for org_id, (pk, source, status, version) in existing.items()
        if source == Party.COMPUTED and org_id not in wanted and status == Party.NOT_CONTACTED
    }
    removed: list[int] = []
    for pk, (org_id, version) in gone.items():
        # The snapshot may be stale: a coordinator may have set this party (not affected,
        # acknowledged by phone) since we read it. Delete only what is still untouched.
        deleted, _ = Party.objects.filter(
            pk=pk, notified_at__isnull=True, status=Party.NOT_CONTACTED, version=version
        ).delete()
        if deleted:
            removed.append(org_id)
    return {"added": [p.organization_id for p in new], "removed": sorted(removed)}


# --- parties ------------------------------------------------------------------------------


def add_party(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    organization_slug: str,
    *,
    role: str = "affected",
    reason: str = "",
) -> Party:
    """Staff only: add an organisation by hand (an expert, a reporter, an affected one the
    scope did not find)."""
    _require_staff(viewer, "add parties")
    from dnscc.directory.services import get_organization

    roles = [r for r, _ in Party._meta.get_field("role").choices or []]
    if role not in roles:
        raise InputError(
            f"unknown party role {role!r}",
            location=Location(field="role"),
            hint="one of " + ", ".join(roles),
        )
    reason = _text(reason, field="reason", max_length=300)
    try:
        org = get_organization(viewer, str(organization_slug or "").strip())
    except NotFoundError:
        raise InputError(
            f"no organization {organization_slug!r}", location=Location(field="organization")
        ) from None
    with transaction.atomic():
        if incident.parties.filter(organization=org).exists():
            raise ConflictError(f"{org.name} is already a party to {incident.ref}")
        try:
            with transaction.atomic():  # a savepoint: the race's loser gets a conflict
                party = Party.objects.create(
                    incident=incident,
                    organization=org,
                    role=role,
                    source=Party.MANUAL,
                    reason=reason,
                    status_changed_at=timezone.now(),
                    status_changed_by=actor.name,
                    status_changed_via="portal",
                )
        except IntegrityError:
            raise ConflictError(f"{org.name} was just added to {incident.ref}") from None
        timeline.add(
            incident,
            "party",
            f"{org.name} added as {role}",
            actor=actor.name,
            party=party,
            data={"organization": org.slug, "role": role, "reason": reason},
        )
        audit.record(
            actor,
            "incident.party_add",
            obj=party,
            summary=f"{incident.ref}: {org.slug} as {role}",
            data={"incident": incident.ref, "organization": org.slug, "role": role},
        )
    return party


def remove_party(viewer: Viewer, actor: audit.Actor, party: Party) -> None:
    """Only parties never notified may be removed; others are set `not_affected`."""
    _require_staff(viewer, "remove parties")
    incident = party.incident
    org = party.organization
    with transaction.atomic():
        deleted, _ = Party.objects.filter(
            pk=party.pk, notified_at__isnull=True, status=Party.NOT_CONTACTED
        ).delete()
        if deleted:
            timeline.add(
                incident,
                "party",
                f"{org.name} removed",
                actor=actor.name,
                data={"organization": org.slug},
            )
            audit.record(
                actor,
                "incident.party_remove",
                object_type="incidents.party",
                object_id=party.pk,
                summary=f"{incident.ref}: {org.slug} removed",
            )
            return
    party.refresh_from_db()
    if party.status != Party.NOT_AFFECTED:
        set_party_status(viewer, actor, party, Party.NOT_AFFECTED, version=party.version)


def get_party(viewer: Viewer, incident: Incident, party_id: int) -> Party:
    """Staff: any party; an operator: only its own organisation's party."""
    qs = Party.objects.select_related("organization", "incident").filter(
        pk=party_id, incident=incident
    )
    if not viewer.is_staff:
        qs = qs.filter(organization_id=viewer.organization_id or -1)
    party = qs.first()
    if party is None:
        raise NotFoundError(f"no party {party_id} in {incident.ref}")
    return _mask_note(viewer, party)


def set_party_status(
    viewer: Viewer,
    actor: audit.Actor,
    party: Party,
    status: str,
    *,
    version: int,
    via: str = "portal",
    note: str = "",
) -> Party:
    """Staff may set any status; an operator only its own party, and only
    Party.OPERATOR_STATUSES. Sets acknowledged_at / mitigated_at the first time. Conflict on
    a stale version. When every affected party is mitigated or not affected, the incident's
    mitigated_at is set. Timeline: party."""
    statuses = [s for s, _ in Party.STATUS_CHOICES]
    status = str(status or "").strip().lower()
    if status not in statuses:
        raise InputError(
            f"unknown party status {status!r}",
            location=Location(field="status"),
            hint="one of " + ", ".join(statuses),
        )
    if not viewer.is_staff:
        if viewer.role is None or party.organization_id != viewer.organization_id:
            raise NotFoundError(f"no party {party.pk}")  # another's party: never a hint
        if status not in Party.OPERATOR_STATUSES:
            raise PermissionDenied(
                f"An organisation may set its own party to {', '.join(Party.OPERATOR_STATUSES)};"
                f" {status} is the center's to set."
            )
    note = _text(note, field="note", max_length=5000)
    now = timezone.now()
    old = party.status
    changes: dict[str, Any] = {
        "status": status,
        "status_changed_at": now,
        "status_changed_by": actor.name[:150],
        "status_changed_via": (via or "portal")[:16],
    }
    # The note belongs to the status change it explains (the timeline keeps every one):
    # a change without a note clears it, so that `party_note_for` can tell who wrote it.
    changes["note"] = note
    acknowledging = status in (Party.ACKNOWLEDGED, Party.MITIGATING, Party.MITIGATED)
    if acknowledging and party.acknowledged_at is None:
        changes["acknowledged_at"] = now
    if status == Party.MITIGATED and party.mitigated_at is None:
        changes["mitigated_at"] = now
    if status == Party.NOTIFIED and party.notified_at is None:
        changes["notified_at"] = now
    incident = party.incident
    with transaction.atomic():
        updated = Party.objects.filter(pk=party.pk, version=version).update(
            **changes, version=F("version") + 1
        )
        if not updated:
            current = Party.objects.filter(pk=party.pk).first()
            if current is None:
                raise NotFoundError(f"no party {party.pk}")
            raise _stale(
                f"the party of {party.organization.name}",
                current.status_changed_by,
                current.status_changed_at,
            )
        party.refresh_from_db()
        # Notified by hand (phone, another channel): the notify SLA is met as well.
        if status == Party.NOTIFIED and Incident.objects.filter(
            pk=incident.pk, first_notified_at__isnull=True
        ).update(first_notified_at=party.notified_at or now):
            incident.first_notified_at = party.notified_at or now
        timeline.add(
            incident,
            "party",
            f"{party.organization.name}: {old} -> {status}" + (f" ({note[:200]})" if note else ""),
            actor=actor.name,
            party=party,
            data={"from": old, "to": status, "via": via, "note": note},
        )
        audit.record(
            actor,
            "incident.party_status",
            obj=party,
            summary=f"{incident.ref}: {party.organization.slug} {old} -> {status}",
            data={"incident": incident.ref, "from": old, "to": status, "via": via},
        )
        _check_mitigated(incident, now)
    return party


def _check_mitigated(incident: Incident, now: datetime) -> None:
    affected = incident.parties.filter(role="affected")
    if (
        affected.exists()
        and not affected.exclude(status__in=_DONE).exists()
        and Incident.objects.filter(pk=incident.pk, mitigated_at__isnull=True).update(
            mitigated_at=now
        )
    ):
        incident.mitigated_at = now
        timeline.add(incident, "state", "every affected party is mitigated or not affected")


# --- notices ------------------------------------------------------------------------------


def reply_address(incident: Incident) -> str:
    """Where replies to the incident's notices go, so they thread to the incident."""
    domain = getattr(settings, "OUTREACH_INBOUND_DOMAIN", "") or settings.OUTREACH_BOUNCE_DOMAIN
    return f"incident+{incident.thread_token}@{domain}"


def _party_deadline(party: Party) -> datetime:
    from dnscc.incidents import sla

    try:
        due = sla.party_deadline(party)
    except NotImplementedError:  # the SLA profile is another engineer's; until then: 24 h
        due = None
    if due is None:
        due = (party.notified_at or timezone.now()) + timedelta(hours=24)
    return due


def _in_zone(at: datetime, zone: str) -> tuple[str, str]:
    """(formatted time, zone name) in the organisation's zone; UTC when it is unknown."""
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M %Z}", zone or "UTC"


def parties_to_notify(incident: Incident, party_ids: list[int] | None = None) -> list[Party]:
    """The parties a notice goes to: those named, or by default those not reached yet (not
    contacted, unreachable, delivery failed). InputError for a party of another incident,
    or when there is nobody to notify."""
    qs = incident.parties.select_related("organization")
    if party_ids is None:
        qs = qs.filter(status__in=_NOT_REACHED)
    else:
        wanted = {int(p) for p in party_ids}
        qs = qs.filter(pk__in=wanted)
        missing = wanted - set(qs.values_list("pk", flat=True))
        if missing:
            raise InputError(
                f"no party {sorted(missing)[0]} in {incident.ref}",
                location=Location(field="party_ids"),
            )
    parties = list(qs)
    if not parties:
        raise InputError(
            "no party to notify",
            location=Location(field="party_ids"),
            hint="every party was contacted already; name the parties to notify again",
        )
    return parties


def notice_context(
    incident: Incident, parties: list[Party], message: str = ""
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The incident notice's context, and each party's organisation's own part of it (its
    acknowledgement deadline in UTC and in its time zone): what is sent, and what the
    portal's preview shows before it is."""
    kind = taxonomy.DNS_TYPES.get(incident.dns_type)
    per_org: dict[int, dict[str, Any]] = {}
    for party in parties:
        due = _party_deadline(party)
        local, zone = _in_zone(due, party.organization.time_zone)
        per_org[party.organization_id] = {
            "deadline_utc": f"{due.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC",
            "deadline_local": local,
            "time_zone": zone,
        }
    context = {
        "ref": incident.ref,
        "title": incident.title,
        "text": incident.summary,
        "message": message,
        "dns_type": kind.label if kind else incident.dns_type,
        "severity": incident.severity,
        "tlp": TLP(incident.tlp).label,
        "reply_to": reply_address(incident),
    }
    return context, per_org


def notify_parties(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    party_ids: list[int] | None = None,
    message: str = "",
    user: Any = None,
) -> dict[str, Any]:
    """Queue the incident notice (outreach.services.notify, kind "incident_notice", source
    ("incident", incident.pk)) to the parties (default: those not contacted yet, or
    unreachable, or whose delivery failed), in the same transaction as their status
    change to `queued`, or `unreachable` for a party with no usable contact or channel
    (which opens an SLA breach at once: incidents.sla.open_unreachable). A party turns
    `notified` (notified_at, and the incident's first_notified_at) only when a message
    to it is accepted (refresh_delivery). Returns the outbox's Queued.as_dict() plus
    {"parties": n}. Timeline: message."""
    from dnscc.outreach import services as outreach

    _require_staff(viewer, "notify parties")
    message = _text(message, field="message", max_length=20000)
    parties = parties_to_notify(incident, party_ids)
    tlp = TLP(incident.tlp)
    now = timezone.now()
    with transaction.atomic():
        ids = [p.pk for p in parties]
        parties = list(Party.objects.filter(pk__in=ids).select_related("organization"))
        context, per_org = notice_context(incident, parties, message)
        queued = outreach.notify(
            viewer,
            actor,
            kind="incident_notice",
            context=context,
            organizations=[p.organization for p in parties],
            tlp=tlp,
            source=("incident", str(incident.pk)),
            user=user,
            per_organization=per_org,
            exercise=incident.exercise,
        )
        _mark_queued(incident, parties, queued.unreachable, actor, now, queued.simulated)
        incident.refresh_from_db()
        result = {**queued.as_dict(), "parties": len(parties)}
        timeline.add(
            incident,
            "message",
            f"incident notice to {len(parties)} party(ies): {queued.messages} message(s)"
            + (f", {len(queued.unreachable)} unreachable" if queued.unreachable else ""),
            actor=actor.name,
            data={**result, "party_ids": ids},
        )
        audit.record(
            actor,
            "incident.notify",
            obj=incident,
            summary=f"{incident.ref}: notice to {len(parties)} party(ies)",
            data=result,
        )
    return result


def _mark_queued(
    incident: Incident,
    parties: list[Party],
    unreachable_slugs: list[str],
    actor: audit.Actor,
    now: datetime,
    simulated_slugs: Iterable[str] = (),
) -> None:
    """After a notice was queued: each party not reached yet is `queued`, or `unreachable`
    when the outbox found no contact or channel for it (an SLA breach opens at once), or,
    in an exercise, `simulated` when its messages were only recorded as "would have sent"
    (no contact opted in): notified_at is then when it would have been notified."""
    from dnscc.incidents import sla

    unreachable = set(unreachable_slugs)
    simulated = set(simulated_slugs)
    for party in parties:
        new = Party.UNREACHABLE if party.organization.slug in unreachable else Party.QUEUED
        if party.organization.slug in simulated:
            new = Party.SIMULATED
        if party.status not in (*_NOT_REACHED, Party.QUEUED) or party.status == new:
            if new == Party.UNREACHABLE and party.status == Party.UNREACHABLE:
                sla.open_unreachable(party, now, actor)
            continue
        extra: dict[str, Any] = {}
        if new == Party.SIMULATED and party.notified_at is None:
            extra["notified_at"] = now
        changed = Party.objects.filter(pk=party.pk, status=party.status).update(
            status=new,
            status_changed_at=now,
            status_changed_by=actor.name[:150],
            status_changed_via="notice",
            version=F("version") + 1,
            **extra,
        )
        if not changed:
            continue
        old, party.status = party.status, new
        if new == Party.SIMULATED:
            if Incident.objects.filter(pk=incident.pk, first_notified_at__isnull=True).update(
                first_notified_at=now
            ):
                incident.first_notified_at = now
            timeline.add(
                incident,
                "party",
                f"{party.organization.name}: {old} -> {new} (exercise: would have sent; "
                "no contact opted in to exercises)",
                actor=actor.name,
                party=party,
                data={"from": old, "to": new, "via": "notice", "exercise": incident.exercise},
                at=now,
            )
        if new == Party.UNREACHABLE:
            timeline.add(
                incident,
                "party",
                f"{party.organization.name}: {old} -> {new} (no usable contact or channel)",
                actor=actor.name,
                party=party,
                data={"from": old, "to": new, "via": "notice"},
                at=now,
            )
            sla.open_unreachable(party, now, actor)


# What the outbox's outcome for a party's messages (outreach.tracking) makes its status.
_DELIVERY_STATUS = {
    "accepted": Party.NOTIFIED,
    "pending": Party.QUEUED,
    "failed": Party.DELIVERY_FAILED,
    "none": Party.UNREACHABLE,
    "simulated": Party.SIMULATED,
}


def refresh_delivery(incident_id: int, organization_ids: list[int]) -> list[Party]:
    """Receiver of outreach.signals.delivery_changed for incident notices: set each
    party's delivery status from what the outbox says of the messages to its organisation
    (inside the transaction that recorded the outcome). A party turns `notified` (and gets
    notified_at, the incident its first_notified_at) when its first message is accepted;
    `delivery_failed` when every message is dead, held or bounced (an SLA breach opens);
    back to `queued` when one is retried. Only parties in a delivery state move: an
    acknowledgement, or a status set by hand, is never overwritten by the outbox. The
    parties changed."""
    from dnscc.incidents import sla
    from dnscc.outreach import tracking

    parties = list(
        Party.objects.filter(
            incident_id=incident_id,
            organization_id__in=organization_ids,
            status__in=Party.DELIVERY_STATES,
        ).select_related("organization", "incident")
    )
    if not parties:
        return []
    deliveries = tracking.by_organization(
        source_type="incident",
        source_ids=[incident_id],
        organization_ids=[p.organization_id for p in parties],
    )
    now = timezone.now()
    changed_parties = []
    for party in parties:
        delivery = deliveries.get((str(incident_id), party.organization_id))
        if delivery is None:
            continue  # no message at all: what notify_parties said stands
        new = _DELIVERY_STATUS[delivery.outcome]
        if new == party.status:
            continue
        if party.status == Party.NOTIFIED and party.status_changed_via not in ("notice", "outbox"):
            continue  # notified by hand (a phone call): the outbox does not undo it
        changes: dict[str, Any] = {
            "status": new,
            "status_changed_at": now,
            "status_changed_by": "outbox",
            "status_changed_via": "outbox",
        }
        accepted_at = delivery.first_accepted_at or now
        if new in (Party.NOTIFIED, Party.SIMULATED) and party.notified_at is None:
            changes["notified_at"] = accepted_at
        if not Party.objects.filter(pk=party.pk, status=party.status).update(
            **changes, version=F("version") + 1
        ):
            continue
        old = party.status
        party.refresh_from_db()
        incident = party.incident
        if new == Party.NOTIFIED and Incident.objects.filter(
            pk=incident.pk, first_notified_at__isnull=True
        ).update(first_notified_at=accepted_at):
            incident.first_notified_at = accepted_at
        why = {
            Party.NOTIFIED: "a message was accepted",
            Party.QUEUED: "a message is on its way again",
            Party.DELIVERY_FAILED: "every message failed or bounced",
            Party.UNREACHABLE: "no message could be sent",
            Party.SIMULATED: "exercise: would have sent; no contact opted in",
        }[new]
        timeline.add(
            incident,
            "party",
            f"{party.organization.name}: {old} -> {new} ({why})",
            actor="outbox",
            party=party,
            data={"from": old, "to": new, "via": "outbox", **_counts(delivery)},
            at=now,
        )
        if new in (Party.UNREACHABLE, Party.DELIVERY_FAILED):
            sla.open_unreachable(party, now, audit.SYSTEM)
        changed_parties.append(party)
    return changed_parties


def _counts(delivery: Any) -> dict[str, int]:
    return {
        k: getattr(delivery, k) for k in ("queued", "accepted", "bounced", "failed", "acknowledged")
    }


def party_deliveries(incident: Incident, parties: list[Party]) -> dict[int, Any]:
    """{party id: outreach.tracking.Delivery}: what became of the messages to each party
    (queued / accepted / bounced / acknowledged counts, the contact each went to)."""
    from dnscc.outreach import tracking

    found = tracking.by_organization(
        source_type="incident",
        source_ids=[incident.pk],
        organization_ids=[p.organization_id for p in parties],
    )
    return {
        p.pk: found.get((str(incident.pk), p.organization_id), tracking.Delivery()) for p in parties
    }


def unreachable_parties(viewer: Viewer) -> list[Party]:
    """Parties of open incidents the viewer may see that no notice reaches: `unreachable`
    (no usable contact or channel) or `delivery_failed`, oldest first (the duty console)."""
    if not viewer.is_staff:
        return []
    return list(
        Party.objects.filter(
            status__in=(Party.UNREACHABLE, Party.DELIVERY_FAILED),
            incident__in=visible_incidents(viewer)
            .exclude(status=Incident.CLOSED)
            .filter(exercise__isnull=True),
        )
        .select_related("incident", "organization")
        .order_by("status_changed_at", "id")
    )


def acknowledge_from_message(message: Any, *, via: str, by: str) -> Party | None:
    """Receiver of outreach.signals.message_acknowledged: a message of an incident notice,
    acknowledged by link, portal, API or signed reply, acknowledges its party (if it was
    not yet further). Timeline: ack."""
    notice = getattr(message, "notice", None)
    if notice is None or notice.source_type != "incident" or not message.organization_id:
        return None
    try:
        incident_id = int(notice.source_id)
    except ValueError:
        return None
    party = (
        Party.objects.select_related("organization", "incident")
        .filter(incident_id=incident_id, organization_id=message.organization_id)
        .first()
    )
    if party is None or party.status in _ACKNOWLEDGED_OR_LATER:
        return party
    now = timezone.now()
    how = _VIA.get(via, via)[:16]
    with transaction.atomic():
        # A compare-and-set on the status: a concurrent change by a coordinator wins.
        changed = Party.objects.filter(pk=party.pk, status=party.status).update(
            status=Party.ACKNOWLEDGED,
            acknowledged_at=party.acknowledged_at or now,
            status_changed_at=now,
            status_changed_by=by[:150],
            status_changed_via=how,
            version=F("version") + 1,
        )
        if not changed:
            party.refresh_from_db()
            return party
        old = party.status
        party.refresh_from_db()
        timeline.add(
            party.incident,
            "ack",
            f"{party.organization.name} acknowledged ({how}, by {by})",
            actor=by,
            party=party,
            data={"from": old, "message": message.key, "via": how, "by": by},
        )
        audit.record(
            audit.Actor(f"recipient:{by}"[:150]),
            "incident.party_ack",
            obj=party,
            summary=f"{party.incident.ref}: {party.organization.slug} acknowledged via {how}",
            data={"incident": party.incident.ref, "message": message.key, "via": how},
        )
    return party


def party_messages(viewer: Viewer, party: Party) -> list[Any]:
    """The outreach messages sent to the party's organisation for this incident."""
    from dnscc.outreach import services as outreach

    get_party(viewer, party.incident, party.pk)  # the same rule as seeing the party
    return list(
        outreach.visible_messages(viewer)
        .filter(
            notice__source_type="incident",
            notice__source_id=str(party.incident_id),
            organization_id=party.organization_id,
        )
        .order_by("created_at", "id")
    )


# --- notes, tasks, attachments, links, findings -------------------------------------------


def add_note(viewer: Viewer, actor: audit.Actor, incident: Incident, text: str) -> None:
    _require_staff(viewer, "add notes")
    text = _text(text, field="text", max_length=20000, required=True)
    with transaction.atomic():
        timeline.add(incident, "note", text[:500], actor=actor.name, data={"text": text})
        audit.record(actor, "incident.note", obj=incident, summary=f"{incident.ref}: note", data={})


def add_task(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    title: str,
    owner_username: str = "",
    due_at: datetime | None = None,
) -> Task:
    _require_staff(viewer, "add tasks")
    title = _text(title, field="title", max_length=300, required=True)
    owner = _user(_text(owner_username, field="owner", max_length=150), field="owner")
    if due_at is not None and timezone.is_naive(due_at):
        raise InputError(
            "due_at needs a time zone", location=Location(field="due_at"), hint="e.g. ...Z"
        )
    creator = get_user_model().objects.filter(pk=viewer.user_id).first() if viewer.user_id else None
    with transaction.atomic():
        task = Task.objects.create(
            incident=incident, title=title, owner=owner, due_at=due_at, created_by=creator
        )
        timeline.add(
            incident,
            "task",
            f"task added: {title}" + (f" (owner {owner.get_username()})" if owner else ""),
            actor=actor.name,
            data={
                "task": task.pk,
                "owner": owner.get_username() if owner else "",
                "due_at": due_at.isoformat() if due_at else None,
            },
        )
        audit.record(actor, "incident.task_add", obj=task, summary=f"{incident.ref}: {title}")
    return task


def get_task(viewer: Viewer, incident: Incident, task_id: int) -> Task:
    _require_staff(viewer, "see tasks")
    task = Task.objects.filter(pk=task_id, incident=incident).first()
    if task is None:
        raise NotFoundError(f"no task {task_id} in {incident.ref}")
    return task


def complete_task(viewer: Viewer, actor: audit.Actor, task: Task, *, version: int) -> Task:
    _require_staff(viewer, "complete tasks")
    now = timezone.now()
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, version=version).update(
            done_at=now, version=F("version") + 1
        )
        if not updated:
            by, at = _last_change(task.incident_id, ("task",))
            raise _stale(f"task {task.pk}", by, at)
        task.refresh_from_db()
        timeline.add(
            task.incident_id,
            "task",
            f"task done: {task.title}",
            actor=actor.name,
            data={"task": task.pk, "done": True},
        )
        audit.record(actor, "incident.task_done", obj=task, summary=task.title)
    return task


def _clean_filename(name: str) -> str:
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not base:
        raise InputError("the file needs a name", location=Location(field="filename"))
    return base[:255]


def add_attachment(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    filename: str,
    content: bytes,
    content_type: str = "application/octet-stream",
) -> Attachment:
    """Refused above settings.ATTACHMENT_MAX_BYTES (naming the limit); sha256 recorded."""
    _require_staff(viewer, "attach files")
    limit = int(getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
    if len(content) > limit:
        raise InputError(
            f"the file has {len(content)} bytes, more than the limit of {limit} bytes",
            location=Location(field="file"),
            hint="the limit is DNSCC_ATTACHMENT_MAX_BYTES",
        )
    name = _clean_filename(filename)
    ctype = str(content_type or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*", ctype):
        ctype = "application/octet-stream"
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        attachment = Attachment.objects.create(
            incident=incident,
            filename=name,
            content_type=ctype[:100],
            size=len(content),
            sha256=digest,
            data=content,
            uploaded_by=actor.name[:150],
        )
        timeline.add(
            incident,
            "attachment",
            f"attached {name} ({len(content)} bytes)",
            actor=actor.name,
            data={"attachment": attachment.pk, "sha256": digest, "size": len(content)},
        )
        audit.record(
            actor,
            "incident.attach",
            obj=attachment,
            summary=f"{incident.ref}: {name}",
            data={"sha256": digest, "size": len(content)},
        )
    return attachment


def get_attachment(viewer: Viewer, incident: Incident, attachment_id: int) -> Attachment:
    """Staff only (an attachment may name other parties)."""
    _require_staff(viewer, "download attachments")
    attachment = Attachment.objects.filter(pk=attachment_id, incident=incident).first()
    if attachment is None:
        raise NotFoundError(f"no attachment {attachment_id} in {incident.ref}")
    return attachment


def link_incidents(
    viewer: Viewer, actor: audit.Actor, incident: Incident, other_ref: str, *, relation: str
) -> IncidentLink:
    _require_staff(viewer, "link incidents")
    relations = [r for r, _ in IncidentLink._meta.get_field("relation").choices or []]
    if relation not in relations:
        raise InputError(
            f"unknown relation {relation!r}",
            location=Location(field="relation"),
            hint="one of " + ", ".join(relations),
        )
    try:
        other = get_incident(viewer, other_ref)
    except NotFoundError:
        raise InputError(f"no incident {other_ref!r}", location=Location(field="ref")) from None
    if other.pk == incident.pk:
        raise InputError("an incident cannot be linked to itself", location=Location(field="ref"))
    with transaction.atomic():
        if IncidentLink.objects.filter(source=incident, target=other).exists():
            raise ConflictError(f"{incident.ref} is already linked to {other.ref}")
        try:
            with transaction.atomic():  # a savepoint: the race's loser gets a conflict
                link = IncidentLink.objects.create(
                    source=incident, target=other, relation=relation, created_by=actor.name[:150]
                )
        except IntegrityError:
            raise ConflictError(f"{incident.ref} was just linked to {other.ref}") from None
        label = dict(IncidentLink._meta.get_field("relation").choices or [])[relation]
        timeline.add(
            incident,
            "link",
            f"{label.lower()} {other.ref}",
            actor=actor.name,
            data={"target": other.ref, "relation": relation},
        )
        timeline.add(
            other,
            "link",
            f"{incident.ref} linked here ({relation})",
            actor=actor.name,
            data={"source": incident.ref, "relation": relation},
        )
        audit.record(
            actor,
            "incident.link",
            obj=link,
            summary=f"{incident.ref} {relation} {other.ref}",
        )
    return link


def record_finding(incident: Incident, finding: Any, *, actor: str = "system") -> None:
    """A monitoring finding (or alert) joins the timeline of an incident."""
    is_alert = hasattr(finding, "finding_id") and hasattr(finding, "title")
    source = finding.finding if is_alert else finding
    code = getattr(source, "code", "")
    zone = getattr(source, "zone", "")
    text = getattr(finding, "title", "") if is_alert else getattr(source, "message", "")
    summary = f"{code} on {zone or '.'}: {text}"
    timeline.add(
        incident,
        "alert" if is_alert else "finding",
        summary,
        actor=actor,
        data={
            "alert" if is_alert else "finding": finding.pk,
            "code": code,
            "zone": zone,
            "severity": getattr(finding, "severity", ""),
        },
    )


def replay(viewer: Viewer, incident: Incident) -> list[dict[str, Any]]:
    """The timeline as plain dicts in order (at, kind, actor, party, summary, data): what
    the portal, API and `dnscc incident replay` show."""
    incident = get_incident(viewer, incident.ref)
    qs = incident.timeline.select_related("party__organization")
    if not viewer.is_staff:
        # An organisation sees its own party's entries and the incident's own states,
        # never what concerns the other parties (notes, messages, tasks may name them).
        qs = qs.filter(
            Q(party__organization_id=viewer.organization_id or -1)
            | Q(party__isnull=True, kind__in=("created", "state", "triage"))
        )
    return [
        {
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor,
            "party": e.party.organization.slug if e.party else None,
            "summary": e.summary,
            "data": e.data if viewer.is_staff else {},
        }
        for e in qs.order_by("at", "id")
    ]
