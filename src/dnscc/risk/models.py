"""Risk: assets, the threat catalogue, the risk register, constituent surveys, the inventory
of existing responders (gap analysis), referrals, and frozen assessments.

Method and sources: docs/risk.md (NIST SP 800-30 Rev. 1 scales, ISO 31000:2018 stages).
Rows that two coordinators may edit at once (Risk) carry a `version`. A register score
never changes without a RiskChange row saying who, when and why (and an audit entry).
An Assessment's `snapshot` is written once, when it is frozen, and never again.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from dnscc.accounts.models import REGION_CHOICES
from dnscc.core.riskscale import LEVELS
from dnscc.core.threats import ASSET_KINDS, RELEVANCE, SOURCE_TYPES
from dnscc.core.tlp import TLP, Labelled

LEVEL_CHOICES = [(level, level) for level in LEVELS]
ASSET_KIND_LABELS = {
    "root_zone": "Root zone",
    "root_server_system": "Root server system",
    "tld": "Top-level domain",
    "registry": "Registry operator",
    "backend_provider": "Registry back-end provider",
    "registrar": "Registrar",
    "resolver_operator": "Resolver operator",
    "center": "The center itself",
}
ASSET_KIND_CHOICES = [(k, ASSET_KIND_LABELS[k]) for k in ASSET_KINDS]


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Asset(models.Model):
    """Something whose loss would harm the DNS, drawn from the directory and kept in step
    (`services.sync_assets`): `key` is stable (tld:ke, org:SLUG, root-zone...). An asset the
    directory no longer has is retired, never deleted (risks and assessments name it)."""

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=24, choices=ASSET_KIND_CHOICES)
    name = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tld = models.ForeignKey(
        "directory.Tld", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    criticality = models.CharField(max_length=10, choices=LEVEL_CHOICES, default="moderate")
    criticality_basis = models.JSONField(
        default=dict, blank=True, help_text="what the computed criticality rests on"
    )
    criticality_override = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    criticality_reason = models.CharField(max_length=500, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "region"])]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_criticality(self) -> str:
        return self.criticality_override or self.criticality


class ThreatSource(models.Model):
    """NIST SP 800-30 Table D-2: adversarial, accidental, structural, environmental."""

    key = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=16, choices=[(t, t) for t in SOURCE_TYPES])
    subtype = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["type", "key"]

    def __str__(self) -> str:
        return self.name


class ThreatEvent(models.Model):
    """A threat event (800-30 Appendix E) with the evidence that shows it in the center's
    records: incident types and probe finding codes. `key` is a stable identifier."""

    key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sources = models.ManyToManyField(ThreatSource, related_name="events")
    relevance = models.CharField(max_length=12, choices=[(r, r) for r in RELEVANCE])
    incident_types = models.JSONField(default=list, blank=True)
    probe_codes = models.JSONField(default=list, blank=True)
    asset_kinds = models.JSONField(default=list, blank=True)
    reference = models.CharField(max_length=500, blank=True)
    shipped = models.BooleanField(default=False, help_text="from the catalogue shipped with dnscc")
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Risk(models.Model):
    """One entry of the register: a threat event against an asset (or a class of assets),
    scored on the 800-30 scales and taken through the ISO 31000:2018 stages."""

    IDENTIFIED, ANALYSED, EVALUATED, TREATED = "identified", "analysed", "evaluated", "treated"
    STAGE_CHOICES = [
        (IDENTIFIED, "Identified (ISO 31000 6.4.2)"),
        (ANALYSED, "Analysed (6.4.3)"),
        (EVALUATED, "Evaluated (6.4.4)"),
        (TREATED, "Treated (6.5)"),
    ]
    TREAT, ACCEPT = "treat", "accept"
    DECISION_CHOICES = [(TREAT, "Treat"), (ACCEPT, "Accept as it is")]
    TREATMENT_CHOICES = [
        ("accept", "Accept (retain)"),
        ("mitigate", "Mitigate (reduce)"),
        ("transfer", "Transfer (share)"),
        ("avoid", "Avoid"),
    ]

    ref = models.CharField(max_length=16, unique=True, help_text="R-NNNN")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    event = models.ForeignKey(ThreatEvent, on_delete=models.PROTECT, related_name="risks")
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    asset_class = models.CharField(
        max_length=24, choices=ASSET_KIND_CHOICES, blank=True, help_text="instead of one asset"
    )
    stage = models.CharField(max_length=12, choices=STAGE_CHOICES, default=IDENTIFIED)
    likelihood = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    impact = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    level = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=8, choices=DECISION_CHOICES, blank=True)
    treatment = models.CharField(max_length=10, choices=TREATMENT_CHOICES, blank=True)
    residual_likelihood = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    residual_impact = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    residual_level = models.CharField(max_length=10, choices=LEVEL_CHOICES, blank=True)
    residual_score = models.PositiveSmallIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(asset__isnull=False) | ~models.Q(asset_class=""),
                name="risk_has_an_asset_or_class",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref}: {self.title}"

    def labelled(self) -> Labelled:
        return Labelled(tlp=TLP(self.tlp), author_user_id=self.created_by_id)


class RiskChange(models.Model):
    """One change of a risk's scores, stage or treatment: who, when, what, and why."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    changes = models.JSONField(default=dict, help_text="field -> [before, after]")
    reason = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.risk.ref} at {self.at:%Y-%m-%d}: {', '.join(self.changes)}"


class TreatmentAction(models.Model):
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    owner = models.CharField(max_length=150, blank=True)
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_at", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class Questionnaire(models.Model):
    """One version of a questionnaire. Once a round has been sent with it, it is frozen: a
    change makes the next version (same `key`, `version` + 1)."""

    key = models.SlugField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    title = models.JSONField(help_text="language -> title")
    languages = models.JSONField(default=list)
    questions = models.JSONField(default=list)
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="questionnaire_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    def title_in(self, language: str) -> str:
        return str(self.title.get(language) or self.title.get("en") or self.key)


class SurveyRound(models.Model):
    """A questionnaire sent to an audience through the outbox, open until `closes_at`."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="rounds"
    )
    title = models.CharField(max_length=200)
    audience = models.JSONField(
        default=dict,
        help_text='{"regions": [], "kinds": [], "resource_constrained": null, "languages": []}',
    )
    min_cell = models.PositiveSmallIntegerField(default=5)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    notice = models.ForeignKey(
        "outreach.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.GREEN.value)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """One organisation invited to answer a round; its signed link carries `token`."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=8, default="en")
    region = models.CharField(max_length=3, blank=True, help_text="as it was at sending")
    kind = models.CharField(max_length=32, blank=True, help_text="as it was at sending")
    token = models.CharField(max_length=48, unique=True, default=new_token)
    reminders = models.PositiveSmallIntegerField(default=0)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="invited_once")
        ]

    def __str__(self) -> str:
        return f"{self.organization} in {self.round}"


class SurveyResponse(models.Model):
    """An organisation's answers (one per invitation; answering again replaces them while
    the round is open)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    answers = models.JSONField(default=dict)
    via = models.CharField(max_length=8, choices=[("portal", "Portal"), ("link", "Signed link")])
    by = models.CharField(max_length=150, blank=True)
    submitted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"answers of {self.invitation.organization}"


CAPABILITY_CHOICES = [
    ("detect", "Detect"),
    ("coordinate", "Coordinate"),
    ("mitigate", "Mitigate"),
    ("recover", "Recover"),
]


class Coverage(models.Model):
    """An existing responder covers a threat event in a region ("*": every region) with a
    capability: one cell of the gap matrix's inventory."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(ThreatEvent, on_delete=models.CASCADE, related_name="coverage")
    region = models.CharField(max_length=3, help_text="ICANN region code, or * for every region")
    capability = models.CharField(max_length=12, choices=CAPABILITY_CHOICES)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event__key", "region", "capability"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event", "region", "capability"], name="coverage_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.capability} {self.event.key} in {self.region}"


class CsirtLink(models.Model):
    """A ccTLD and its national CSIRT (the responder the center refers its incidents to)."""

    tld = models.OneToOneField("directory.Tld", on_delete=models.CASCADE, related_name="+")
    csirt = models.ForeignKey("directory.Organization", on_delete=models.PROTECT, related_name="+")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tld__name"]

    def __str__(self) -> str:
        return f".{self.tld.name} -> {self.csirt}"


class Referral(models.Model):
    """An incident handed to an existing responder instead of being handled by the center;
    its own status, as the responder reports it."""

    PROPOSED, SENT, ACCEPTED, DECLINED, RESOLVED = (
        "proposed",
        "sent",
        "accepted",
        "declined",
        "resolved",
    )
    STATUS_CHOICES = [
        (PROPOSED, "Proposed"),
        (SENT, "Sent to the responder"),
        (ACCEPTED, "Accepted by the responder"),
        (DECLINED, "Declined by the responder"),
        (RESOLVED, "Resolved by the responder"),
    ]
    NEXT = {
        PROPOSED: (SENT, DECLINED),
        SENT: (ACCEPTED, DECLINED),
        ACCEPTED: (RESOLVED,),
        DECLINED: (),
        RESOLVED: (),
    }

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="referrals"
    )
    responder = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PROPOSED)
    history = models.JSONField(default=list, help_text="[{at, status, by, note}]")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "responder"], name="referred_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} -> {self.responder} ({self.status})"


class Assessment(models.Model):
    """The register, the threat survey, the constituent survey and the gap matrix frozen at
    a date: draft -> comments from a named audience -> signed off. The snapshot never
    changes; a new look at the same period is a new version."""

    BASELINE, ANNUAL = "baseline", "annual"
    DRAFT, COMMENTS, SIGNED = "draft", "comments", "signed"
    STATUS_CHOICES = [
        (DRAFT, "Draft"),
        (COMMENTS, "Open for comments"),
        (SIGNED, "Signed off"),
    ]

    title = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=10, choices=[(BASELINE, "Baseline"), (ANNUAL, "Annual assessment")]
    )
    version = models.PositiveIntegerField(default=1)
    period_start = models.DateField()
    period_end = models.DateField()
    as_of = models.DateTimeField(help_text="when the snapshot was taken")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    snapshot = models.JSONField()
    sha256 = models.CharField(max_length=64, help_text="of the snapshot's canonical JSON")
    summary = models.TextField(blank=True, help_text="the assessors' conclusions (draft only)")
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    comments_opened_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.CharField(max_length=150, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-version", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def labelled(self) -> Labelled:
        return Labelled(
            tlp=TLP(self.tlp),
            author_user_id=self.created_by_id,
            recipient_user_ids=frozenset(self.reviewers.values_list("pk", flat=True)),
        )


class AssessmentComment(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(max_length=150)
    organization = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.assessment}"
