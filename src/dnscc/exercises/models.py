"""Exercises: plans, the exercises run on the lab, their injects (the master scenario events
list), what happened (the exercise's own log), the hot wash and the improvement plan.

A scenario is a file (exercises/scenarios/*.toml, validated by exercises.scenario); an
exercise keeps a copy of the scenario it was made from, so a later edit of the file never
changes an exercise that ran. Every incident, report, campaign, notice, message, finding and
alert an exercise causes carries its id in their own `exercise` field (core.exercise_mark).

Injects are rows claimed with a compare-and-set on `state` (pending -> firing -> done), so a
runner that dies (a worker restart) leaves the work where it was: the next runner fires the
injects still due, in order, and never fires a done one again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dnscc.core.exercise_mark import ref_of


class Plan(models.Model):
    """A contingency plan for one scenario: steps, roles, decision points, contact tree and
    message templates. Versioned: a change is a new row with the next version."""

    scenario = models.CharField(max_length=64, help_text="the scenario id it answers")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    content = models.JSONField(help_text="roles, steps, decision points, contact tree, templates")
    source = models.TextField(blank=True, help_text="the TOML it was read from")
    sha256 = models.CharField(max_length=64)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True, help_text="what this version changes")

    class Meta:
        ordering = ["scenario", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "version"], name="plan_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.scenario} plan v{self.version}"


class Exercise(models.Model):
    DRAFT, RUNNING, PAUSED, FINISHED, ARCHIVED = (
        "draft",
        "running",
        "paused",
        "finished",
        "archived",
    )
    STATUS_CHOICES = [
        (DRAFT, "Ready to run"),
        (RUNNING, "Running"),
        (PAUSED, "Paused by the controller"),
        (FINISHED, "Finished (faults cleared)"),
        (ARCHIVED, "Archived"),
    ]
    UNATTENDED, LIVE = "unattended", "live"
    MODE_CHOICES = [
        (UNATTENDED, "Unattended: the plan's steps run by themselves"),
        (LIVE, "With participants: coordinators take the plan's steps"),
    ]

    title = models.CharField(max_length=300)
    scenario_id = models.CharField(max_length=64, db_index=True)
    scenario_version = models.PositiveIntegerField()
    scenario = models.JSONField(help_text="the scenario as it was when the exercise was made")
    scenario_sha256 = models.CharField(max_length=64)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT)
    mode = models.CharField(max_length=12, choices=MODE_CHOICES, default=UNATTENDED)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    parameters = models.JSONField(default=dict, help_text="the scenario's parameters as used")
    affected_tlds = models.JSONField(default=list)
    participants = models.JSONField(
        default=list, help_text="organisation slugs taking part with real people"
    )
    operator_mix = models.JSONField(default=dict, help_text="simulated operators' behaviours")
    time_scale = models.FloatField(
        default=1.0, help_text="scenario seconds per real second (60: a minute a second)"
    )
    seed = models.PositiveIntegerField(default=1, help_text="of the simulated operators")
    lab_dir = models.CharField(max_length=500, blank=True, help_text="the lab it acts on")
    profile = models.JSONField(default=dict, blank=True, help_text="the objectives used")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0.0, help_text="real seconds spent paused")
    finished_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    score = models.JSONField(default=dict, blank=True, help_text="computed when it finishes")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title}"

    @property
    def ref(self) -> str:
        return ref_of(self.pk) if self.pk else "EX-new"


class Inject(models.Model):
    """One line of the master scenario events list: what happens at T+n (scenario seconds),
    from the scenario, the plan, the controller or a simulated operator."""

    PENDING, FIRING, DONE, SKIPPED, FAILED = "pending", "firing", "done", "skipped", "failed"
    STATE_CHOICES = [
        (PENDING, "Due later"),
        (FIRING, "Firing"),
        (DONE, "Done"),
        (SKIPPED, "Skipped by the controller"),
        (FAILED, "Failed"),
    ]
    SCENARIO, PLAN, CONTROLLER, OPERATOR = "scenario", "plan", "controller", "operator"
    SOURCE_CHOICES = [
        (SCENARIO, "Scenario"),
        (PLAN, "Plan step (the center's action)"),
        (CONTROLLER, "Added by the controller"),
        (OPERATOR, "Simulated operator"),
    ]

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    seq = models.PositiveIntegerField()
    at_seconds = models.FloatField(help_text="scenario seconds after the start")
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=12, choices=SOURCE_CHOICES, default=SCENARIO)
    line = models.PositiveIntegerField(null=True, blank=True, help_text="its line in the file")
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=STATE_CHOICES, default=PENDING)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True, help_text="when it fell due (real)")
    fired_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["at_seconds", "seq"]
        constraints = [models.UniqueConstraint(fields=["exercise", "seq"], name="inject_seq_once")]
        indexes = [models.Index(fields=["exercise", "state", "at_seconds"])]

    def __str__(self) -> str:
        return f"T+{self.at_seconds:g}s {self.kind}: {self.title}"


class Event(models.Model):
    """The exercise's own log: injects fired, what the center and the operators did, the
    controller's decisions. Append-only; the after-action report's timeline reads it."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=32)
    summary = models.CharField(max_length=500)
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["exercise", "kind"])]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind}: {self.summary}"


class HotWash(models.Model):
    """What the participants said right after the exercise (HSEEP's hot wash)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="hot_washes")
    author = models.CharField(max_length=150)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    to_improve = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"hot wash of {self.exercise_id} by {self.author}"


class Improvement(models.Model):
    """An item of the improvement plan: a task with an owner and a due date, closed when
    done (the after-action report lists them)."""

    OPEN, DONE = "open", "done"
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="improvements")
    text = models.CharField(max_length=500)
    objective = models.CharField(max_length=64, blank=True, help_text="the objective it answers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=[(OPEN, "Open"), (DONE, "Done")], default=OPEN)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_date", "id"]

    def __str__(self) -> str:
        return self.text
