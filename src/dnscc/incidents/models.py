"""Incidents: reports coming in, incidents, the parties affected and each one's status, tasks,
the timeline, attachments, links, SLA breaches, and the regional duty desks with their
handovers.

Rows that two coordinators may edit at once (Incident, Party, Task) carry a `version`:
a change names the version it was made against and is refused with a conflict when the row
moved on (services use `filter(pk=..., version=v).update(..., version=v + 1) == 1`).

The timeline is append-only: every state change, message, finding, note, task, attachment
and link of an incident is one TimelineEntry, so a closed incident can be replayed.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from dnscc.accounts.models import REGION_CHOICES
from dnscc.core.taxonomy import DNS_TYPES, SEVERITIES
from dnscc.core.tlp import TLP, Labelled

TYPE_CHOICES = [(t.code, t.label) for t in DNS_TYPES.values()]
LEVEL_CHOICES = [(v, v) for v in ("low", "medium", "high")]
SEVERITY_CHOICES = [(v, v) for v in SEVERITIES]


def new_token() -> str:
    return secrets.token_urlsafe(18)


def empty_scope() -> dict[str, list[str]]:
    return {"names": [], "tlds": [], "ips": [], "resolvers": []}


class Incident(models.Model):
    NEW, OPEN, MITIGATED, CLOSED = "new", "open", "mitigated", "closed"
    STATUS_CHOICES = [
        (NEW, "New (to triage)"),
        (OPEN, "Open (coordinating)"),
        (MITIGATED, "Mitigated"),
        (CLOSED, "Closed"),
    ]

    ref = models.CharField(max_length=32, unique=True, help_text="DNSCC-YYYY-NNNN")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    dns_type = models.CharField(max_length=32, choices=TYPE_CHOICES, default="other")
    rsit_class = models.CharField(max_length=48, blank=True)
    rsit_type = models.CharField(max_length=48, blank=True)
    impact = models.CharField(max_length=8, choices=LEVEL_CHOICES, default="medium")
    urgency = models.CharField(max_length=8, choices=LEVEL_CHOICES, default="medium")
    severity = models.CharField(max_length=10, choices=SEVERITY_CHOICES, default="medium")
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    scope = models.JSONField(default=empty_scope, blank=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=NEW)
    desk = models.CharField(
        max_length=3, choices=REGION_CHOICES, blank=True, help_text="the desk that owns it"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    triaged_at = models.DateTimeField(null=True, blank=True)
    first_notified_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    thread_token = models.CharField(
        max_length=32, unique=True, default=new_token, help_text="threads mail replies"
    )
    version = models.PositiveIntegerField(default=1)
    # The monitoring alerts it was opened from (or that joined it): they show the incident,
    # and resolve when it is mitigated or closed.
    alerts = models.ManyToManyField("monitoring.Alert", blank=True, related_name="incidents")
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "desk"]),
            models.Index(fields=["severity", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title}"

    def labelled(self) -> Labelled:
        """Staff see it by TLP; an operator sees an incident only through its own party."""
        orgs = frozenset(self.parties.values_list("organization_id", flat=True))
        return Labelled(
            tlp=TLP(self.tlp),
            author_user_id=self.created_by_id,
            recipient_organization_ids=orgs,
        )


class Party(models.Model):
    """One organisation affected by (or helping with) an incident, with its own status."""

    NOT_CONTACTED = "not_contacted"
    # Delivery states (set from the outbox's answers, outreach.tracking): a notice was
    # queued and nothing accepted yet; at least one message accepted (`notified`); no usable
    # contact or channel at all; every message dead, held or bounced.
    QUEUED = "queued"
    NOTIFIED = "notified"
    UNREACHABLE = "unreachable"
    DELIVERY_FAILED = "delivery_failed"
    # An exercise's notice to an organisation none of whose contacts opted in to exercises:
    # recorded as "would have sent", never sent (notified_at is when it would have gone).
    SIMULATED = "simulated"
    ACKNOWLEDGED = "acknowledged"
    MITIGATING = "mitigating"
    MITIGATED = "mitigated"
    NOT_AFFECTED = "not_affected"
    UNRESPONSIVE = "unresponsive"
    STATUS_CHOICES = [
        (NOT_CONTACTED, "Not contacted"),
        (QUEUED, "Notice queued, not yet accepted"),
        (NOTIFIED, "Notified (accepted by its mail server or webhook)"),
        (UNREACHABLE, "Unreachable (no usable contact)"),
        (DELIVERY_FAILED, "Delivery failed"),
        (SIMULATED, "Exercise: notice simulated (would have sent; not opted in)"),
        (ACKNOWLEDGED, "Acknowledged"),
        (MITIGATING, "Mitigating"),
        (MITIGATED, "Mitigated"),
        (NOT_AFFECTED, "Not affected"),
        (UNRESPONSIVE, "Unresponsive"),
    ]
    # The states the outbox's answers move a party between (see refresh_delivery).
    DELIVERY_STATES = (QUEUED, NOTIFIED, UNREACHABLE, DELIVERY_FAILED, SIMULATED)
    # What an operator may set on its own party (the rest are the center's to set).
    OPERATOR_STATUSES = (ACKNOWLEDGED, MITIGATING, MITIGATED, NOT_AFFECTED)

    COMPUTED, MANUAL = "computed", "manual"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="parties")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="incident_parties"
    )
    role = models.CharField(
        max_length=16,
        default="affected",
        choices=[("affected", "Affected"), ("expert", "Expertise"), ("reporter", "Reporter")],
    )
    source = models.CharField(
        max_length=10, choices=[(COMPUTED, "From the scope"), (MANUAL, "Added by hand")]
    )
    reason = models.CharField(max_length=300, blank=True, help_text="why it is a party")
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=NOT_CONTACTED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.CharField(max_length=150, blank=True)
    status_changed_via = models.CharField(max_length=16, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="0 none, 1 reminder sent, 2 duty desk, 3 coordinator lead"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "organization"], name="party_once")
        ]
        indexes = [models.Index(fields=["status", "notified_at"])]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"{self.organization} in {self.incident.ref}: {self.status}"


class TimelineEntry(models.Model):
    """One thing that happened to an incident. Append-only."""

    KINDS = (
        "created",
        "report",
        "state",
        "triage",
        "party",
        "message",
        "ack",
        "finding",
        "alert",
        "note",
        "task",
        "attachment",
        "link",
        "sla",
        "escalation",
        "handover",
        "mail",
        "campaign",
    )

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=[(k, k) for k in KINDS])
    actor = models.CharField(max_length=150, blank=True)
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="timeline"
    )
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}: {self.summary}"


class Task(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["done_at", "due_at", "id"]

    def __str__(self) -> str:
        return self.title


class Attachment(models.Model):
    """A file kept with an incident, in the database (bounded by DNSCC_ATTACHMENT_MAX_BYTES),
    so it commits or rolls back with the rest."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename


class IncidentLink(models.Model):
    RELATED, DUPLICATE, PARENT = "related", "duplicate", "parent"

    source = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_in")
    relation = models.CharField(
        max_length=16,
        default=RELATED,
        choices=[(RELATED, "Related"), (DUPLICATE, "Duplicate of"), (PARENT, "Part of")],
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="incident_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.relation} {self.target_id}"


class Report(models.Model):
    """Something reported to the center, before it is an incident (or is refused)."""

    WEB, API, MAIL, ALERT = "web", "api", "mail", "alert"
    SOURCE_CHOICES = [(WEB, "Web form"), (API, "API"), (MAIL, "Mail"), (ALERT, "Monitoring")]
    UNCONFIRMED = "unconfirmed"  # web form: waits for the reporter's email confirmation
    NEW = "new"
    OPENED = "opened"  # became a new incident
    MERGED = "merged"  # folded into an existing incident
    LINKED = "linked"  # kept beside an incident it relates to
    REJECTED = "rejected"
    STATE_CHOICES = [
        (UNCONFIRMED, "Waiting for email confirmation"),
        (NEW, "New"),
        (OPENED, "Opened as an incident"),
        (MERGED, "Merged into an incident"),
        (LINKED, "Linked to an incident"),
        (REJECTED, "Rejected"),
    ]

    source = models.CharField(max_length=8, choices=SOURCE_CHOICES)
    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=NEW)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    dns_type = models.CharField(max_length=32, choices=TYPE_CHOICES, default="other")
    scope = models.JSONField(default=empty_scope, blank=True)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the reporter's organisation, when known",
    )
    signed_by = models.CharField(
        max_length=64, blank=True, help_text="OpenPGP fingerprint of a verified signature"
    )
    alert = models.ForeignKey(
        "monitoring.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    desk = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    confirm_digest = models.CharField(max_length=64, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    status_token = models.CharField(
        max_length=32, unique=True, default=new_token, help_text="the reporter's status link"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "desk"])]

    def __str__(self) -> str:
        return self.title

    def labelled(self) -> Labelled:
        return Labelled(
            tlp=TLP(self.tlp),
            author_user_id=self.reporter_user_id,
            owner_organization_id=self.organization_id,
        )


class SlaBreach(models.Model):
    """A deadline passed: recorded once per incident (and party) and kind, then escalated."""

    TRIAGE, NOTIFY, ACKNOWLEDGE, MITIGATE = "triage", "notify", "acknowledge", "mitigate"
    KIND_CHOICES = [
        (TRIAGE, "Time to triage"),
        (NOTIFY, "Time to first notification"),
        (ACKNOWLEDGE, "Time to acknowledgement"),
        (MITIGATE, "Time to mitigation"),
    ]

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="breaches")
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.CASCADE, related_name="breaches"
    )
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    due_at = models.DateTimeField()
    breached_at = models.DateTimeField()
    level = models.PositiveSmallIntegerField(
        default=1, help_text="1 reminder, 2 duty desk, 3 coordinator lead"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["breached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "party", "kind"], name="breach_once_per_party"
            ),
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=models.Q(party__isnull=True),
                name="breach_once_per_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} breached at {self.breached_at:%Y-%m-%d %H:%M}"


class Desk(models.Model):
    """A regional duty desk. Its shift is a window of UTC hours; together the desks follow
    the sun. `lead` is the coordinator lead that breaches escalate to last."""

    region = models.CharField(max_length=3, choices=REGION_CHOICES, unique=True)
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="UTC")
    shift_start_hour = models.PositiveSmallIntegerField(help_text="UTC hour its shift starts")
    shift_hours = models.PositiveSmallIntegerField(default=8)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["shift_start_hour"]

    def __str__(self) -> str:
        return self.name


class Handover(models.Model):
    """The note one desk hands the next at a shift change, acknowledged by the incoming desk."""

    from_desk = models.CharField(max_length=3, choices=REGION_CHOICES)
    to_desk = models.CharField(max_length=3, choices=REGION_CHOICES)
    shift_start = models.DateTimeField(help_text="the shift change it belongs to")
    created_at = models.DateTimeField()
    note = models.JSONField(default=dict, help_text="open incidents, breaches, due next")
    text = models.TextField(blank=True, help_text="the outgoing desk's own words")
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shift_start"]
        constraints = [
            models.UniqueConstraint(fields=["to_desk", "shift_start"], name="handover_once")
        ]

    def __str__(self) -> str:
        return f"{self.from_desk} to {self.to_desk} at {self.shift_start:%Y-%m-%d %H:%M}"


class SavedView(models.Model):
    """A coordinator's named filter of the incident list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_once")]

    def __str__(self) -> str:
        return self.name


class StatusNote(models.Model):
    """A root server operator's status note on an incident it is party to: shared with the
    other root server operators party to it and with the center (incidents/status_notes.py),
    TLP-marked (CLEAR to AMBER+STRICT; RED is for named people, not a shared space)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="status_notes")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.organization} on {self.incident.ref} at {self.created_at:%Y-%m-%d %H:%M}"
