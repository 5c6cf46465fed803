"""Coordinated action campaigns: names to act on, split per registry into slices.

A Campaign belongs to an incident. Names arrive in NameLists (an upload or a generator
run), each with its action, legal basis and expiry. Every name is a Target, assigned to the
Slice of the organisation operating its TLD (no slice when the directory knows no operator:
reported as such). A slice is delivered through the outbox as a manifest, acknowledged by
its operator, reported on per name, verified by DNS, and escalated when late.

Targets are the big table (a million rows for an Avalanche-sized campaign): few, short
columns, bulk-written, and updated by set-based queries.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from dnscc.core.tlp import TLP, Labelled

BLOCK, SUSPEND, SINKHOLE, TRANSFER, RELEASE = "block", "suspend", "sinkhole", "transfer", "release"
ACTION_CHOICES = [
    (BLOCK, "Block registration (pre-emptive)"),
    (SUSPEND, "Suspend / hold"),
    (SINKHOLE, "Sinkhole (NS to the campaign's sinkhole set)"),
    (TRANSFER, "Transfer to a registrar of last resort"),
    (RELEASE, "Release (end a block)"),
]
LEGAL_BASIS_CHOICES = [
    ("court_order", "Court order"),
    ("registry_waiver", "Registry waiver"),
    ("other", "Other"),
]


class Campaign(models.Model):
    DRAFT, ACTIVE, ENDED, CANCELLED = "draft", "active", "ended", "cancelled"
    STATUS_CHOICES = [
        (DRAFT, "Draft (names being loaded)"),
        (ACTIVE, "Active (slices delivered)"),
        (ENDED, "Ended"),
        (CANCELLED, "Cancelled"),
    ]

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="campaigns"
    )
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    sinkhole_ns = models.JSONField(default=list, blank=True, help_text="the sinkhole NS set")
    due_date = models.DateField(help_text="slices are due at due_time on this date, local time")
    due_time = models.TimeField(default=datetime.time(23, 59))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    names_total = models.PositiveIntegerField(default=0)
    names_unassigned = models.PositiveIntegerField(
        default=0, help_text="names under TLDs with no known operator"
    )
    version = models.PositiveIntegerField(default=1)
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def labelled(self) -> Labelled:
        orgs = frozenset(self.slices.values_list("organization_id", flat=True))
        return Labelled(
            tlp=TLP(self.tlp), author_user_id=self.created_by_id, recipient_organization_ids=orgs
        )


class NameList(models.Model):
    """One input of names: an uploaded file or a generator run, with its action."""

    UPLOAD, GENERATOR = "upload", "generator"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="lists")
    kind = models.CharField(max_length=10, choices=[(UPLOAD, "Upload"), (GENERATOR, "Generator")])
    source = models.CharField(max_length=255, help_text="file name, or generator and dates")
    params = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=10, choices=ACTION_CHOICES)
    legal_basis = models.CharField(max_length=16, choices=LEGAL_BASIS_CHOICES)
    legal_reference = models.CharField(max_length=300, help_text="court order or waiver ref.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="when the action ends")
    lines = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    unassigned = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=dict, blank=True, help_text="invalid lines (capped), unknown TLDs, encodings"
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.source} ({self.action})"


class Slice(models.Model):
    """One organisation's share of a campaign."""

    PENDING, DELIVERED, ACKNOWLEDGED, COMPLETE = "pending", "delivered", "acknowledged", "complete"
    # Sent (delivered_at: handed to the outbox) but not delivered: nothing accepted yet; no
    # usable contact or channel; every message dead, held or bounced (outreach.tracking).
    QUEUED, UNREACHABLE, DELIVERY_FAILED = "queued", "unreachable", "delivery_failed"
    # An exercise's slice to a registry none of whose contacts opted in to exercises: the
    # manifest "would have been sent", and was not.
    SIMULATED = "simulated"
    STATE_CHOICES = [
        (PENDING, "Not delivered yet"),
        (QUEUED, "Sent, not yet accepted"),
        (UNREACHABLE, "Unreachable (no usable contact)"),
        (DELIVERY_FAILED, "Delivery failed"),
        (SIMULATED, "Exercise: delivery simulated (would have sent; not opted in)"),
        (DELIVERED, "Delivered (accepted by its mail server or webhook)"),
        (ACKNOWLEDGED, "Acknowledged"),
        (COMPLETE, "Complete (every name verified)"),
    ]

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="slices")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="campaign_slices"
    )
    tlds = models.JSONField(default=list)
    names = models.PositiveIntegerField(default=0)
    deadline = models.DateTimeField(help_text="UTC; shown in the organisation's time zone too")
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=PENDING)
    manifest_sha256 = models.JSONField(default=dict, blank=True, help_text='{"csv":…, "json":…}')
    # The header as delivered: a download rebuilds the delivered bytes (the SHA-256s above)
    # even when the directory's organisation name or the campaign changed since.
    manifest_meta = models.JSONField(
        default=dict, blank=True, help_text="the manifest's header as delivered"
    )
    notice = models.ForeignKey(
        "outreach.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the slice was handed to the outbox (its clock starts; its operator sees it);
    # `accepted_at`: when a message of that delivery was first accepted (state delivered).
    delivered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_via = models.CharField(max_length=16, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="0 none, 1 reminder, 2 duty desk, 3 alternative contacts"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Counters kept by set-based updates after outcome uploads and verification runs.
    reported = models.PositiveIntegerField(default=0, help_text="names with an outcome")
    verified_ok = models.PositiveIntegerField(default=0)
    verified_bad = models.PositiveIntegerField(default=0)
    mismatches = models.PositiveIntegerField(default=0, help_text="reported done, DNS says not")
    last_verified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["campaign", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization"], name="slice_once")
        ]

    # Handed to the outbox, not acknowledged: the states the outbox's answers move between.
    SENT_STATES = (QUEUED, UNREACHABLE, DELIVERY_FAILED, DELIVERED, SIMULATED)
    NOT_REACHED = (UNREACHABLE, DELIVERY_FAILED)

    def __str__(self) -> str:
        return f"{self.organization} in {self.campaign}"


class SliceManifest(models.Model):
    """The manifest as delivered (gzip-compressed CSV and JSON), so that a download is the
    delivered document byte for byte, served without rebuilding it from the slice's
    targets (for a slice of a million names that rebuild costs seconds and hundreds of
    MiB). The detached OpenPGP signatures are made on the first download that asks for one,
    then kept. Replaced at each delivery of the slice."""

    slice = models.OneToOneField(
        Slice, on_delete=models.CASCADE, primary_key=True, related_name="delivered_manifest"
    )
    rows = models.PositiveIntegerField()
    csv_sha256 = models.CharField(max_length=64)
    json_sha256 = models.CharField(max_length=64)
    csv_gz = models.BinaryField()
    json_gz = models.BinaryField()
    csv_asc = models.TextField(blank=True)
    json_asc = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"manifest of {self.slice_id} ({self.rows} names)"


class Target(models.Model):
    """One name of a campaign, its action, what the operator reported, what DNS shows."""

    DONE, NOT_REGISTERED, REFUSED, PENDING = "done", "not_registered", "refused", "pending"
    OUTCOME_CHOICES = [
        (DONE, "Done"),
        (NOT_REGISTERED, "Not registered (blocked)"),
        (REFUSED, "Refused"),
        (PENDING, "Pending"),
    ]

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    slice = models.ForeignKey(
        Slice, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    name_list = models.ForeignKey(NameList, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=253)
    tld = models.CharField(max_length=63)
    action = models.CharField(max_length=10, choices=ACTION_CHOICES)
    outcome = models.CharField(max_length=16, choices=OUTCOME_CHOICES, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.CharField(max_length=500, blank=True, help_text="the operator's note")
    observed = models.CharField(max_length=16, blank=True, help_text="what DNS showed")
    verified_ok = models.BooleanField(null=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    mismatch = models.BooleanField(default=False)
    evidence = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="target_once")]
        indexes = [
            models.Index(fields=["slice", "verified_ok"]),
            models.Index(fields=["campaign", "tld"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.name}"


class VerificationRun(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    names = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    queries = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    # Why nothing was checked (every server outside the egress rule): the names keep their
    # earlier verdicts; empty when the run ran.
    not_run = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"verification of {self.campaign_id} at {self.started_at:%Y-%m-%d %H:%M}"


class Snapshot(models.Model):
    """Campaign progress at a moment: the points of the progress plot."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="snapshots")
    at = models.DateTimeField()
    total = models.PositiveIntegerField()
    reported = models.PositiveIntegerField()
    verified_ok = models.PositiveIntegerField()
    acknowledged_slices = models.PositiveIntegerField()
    slices = models.PositiveIntegerField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} at {self.at:%Y-%m-%d %H:%M}"
