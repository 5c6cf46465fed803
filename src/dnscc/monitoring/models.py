"""Sweeps, findings and alerts. Results are stored compactly: a finding is one row from
first seen to resolved (not one row per sweep), its evidence is the latest proof, and each
sweep keeps aggregate counts for the history plot."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dnscc.accounts.models import REGION_CHOICES

SEVERITIES = ["info", "notice", "warning", "error", "critical"]
SEVERITY_CHOICES = [(s, s) for s in SEVERITIES]


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


class Sweep(models.Model):
    RUNNING, DONE, FAILED, NOT_RUN = "running", "done", "failed", "not_run"
    STATUS_CHOICES = [
        (RUNNING, "running"),
        (DONE, "done"),
        (FAILED, "failed"),
        (NOT_RUN, "not run"),  # the root servers are outside the egress rule: nothing sent
    ]

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=RUNNING)
    trigger = models.CharField(max_length=32, default="manual")
    hints = models.CharField(max_length=500, blank=True)
    zones_total = models.IntegerField(default=0)
    zones_done = models.IntegerField(default=0)
    zones_untested = models.IntegerField(default=0)
    queries = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)
    open_by_severity = models.JSONField(default=dict, blank=True)
    new_findings = models.IntegerField(default=0)
    resolved_findings = models.IntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sweep {self.pk} ({self.status})"


class ZoneStatus(models.Model):
    """The latest state of one zone (the root is ""): what the health page lists."""

    zone = models.CharField(max_length=255, unique=True)
    tld = models.ForeignKey(
        "directory.Tld", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    worst = models.CharField(max_length=10, default="ok")
    open_findings = models.IntegerField(default=0)
    untested = models.JSONField(default=list, blank=True)
    skipped = models.JSONField(default=list, blank=True)  # checks not run, and why
    chain = models.JSONField(default=list, blank=True)  # the DNSSEC chain, for the picture
    last_swept = models.DateTimeField(null=True, blank=True)
    last_sweep = models.ForeignKey(Sweep, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["zone"]

    def __str__(self) -> str:
        return self.zone or "."


class Finding(models.Model):
    zone = models.CharField(max_length=255, db_index=True)
    code = models.CharField(max_length=64, db_index=True)
    tag = models.CharField(
        max_length=64, blank=True, help_text="The Zonemaster message tag (the detail code)"
    )
    severity = models.CharField(max_length=10, choices=SEVERITY_CHOICES)
    server = models.CharField(max_length=255, blank=True)
    message = models.TextField()
    evidence = models.JSONField(default=list, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    first_sweep = models.ForeignKey(Sweep, null=True, on_delete=models.SET_NULL, related_name="+")
    last_sweep = models.ForeignKey(Sweep, null=True, on_delete=models.SET_NULL, related_name="+")
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "code", "tag", "server"],
                condition=models.Q(resolved_at__isnull=True),
                name="finding_one_open_per_zone_code_tag_server",
            )
        ]
        indexes = [
            # The risk threat survey reads a million findings grouped by code and zone, and
            # by code and month: in index order, without a sort or a table scan.
            models.Index(
                fields=["code", "zone", "first_seen", "resolved_at"], name="finding_code_zone_time"
            ),
            models.Index(fields=["code", "first_seen"], name="finding_code_first_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.zone or '.'}"

    @property
    def detail(self) -> str:
        """The message tag, or the code itself for the center's own codes."""
        return self.tag or self.code

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Alert(models.Model):
    OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
    STATE_CHOICES = [(OPEN, "open"), (ACKNOWLEDGED, "acknowledged"), (RESOLVED, "resolved")]

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="alert")
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    desk = models.CharField(
        max_length=3,
        choices=REGION_CHOICES,
        blank=True,
        help_text="The regional duty desk it is routed to",
    )
    severity = models.CharField(max_length=10, choices=SEVERITY_CHOICES)
    title = models.CharField(max_length=300)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=OPEN)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    sweep = models.ForeignKey(
        Sweep,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the sweep in which it opened (alerts of one sweep and one cause group)",
    )
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class Schedule(models.Model):
    """When a periodic job next runs; schedulers claim it with a compare-and-set."""

    name = models.CharField(max_length=64, unique=True)
    next_run_at = models.DateTimeField()
    interval_seconds = models.IntegerField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
