"""The outbox and what it carries: notices, messages (one row per recipient and channel),
their timeline, and advisories.

A Message row is written in the same transaction as the change that caused it; senders
claim rows with a compare-and-set on `state` and `claim_token` (see outreach.sender). The
`key` is the idempotency key the recipient sees (Message-ID and X-Dnscc-Idempotency-Key in
mail, Idempotency-Key and the body's `id` in webhooks): a copy sent again after a crash
carries the same key, so the recipient can discard it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from dnscc.core.tlp import TLP, Labelled


def new_key() -> str:
    return uuid.uuid4().hex


class Notice(models.Model):
    """One thing said to many recipients: a notice, an advisory's distribution, a follow-up."""

    kind = models.CharField(max_length=32)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    context = models.JSONField(default=dict, blank=True)
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    requires_ack = models.BooleanField(default=True)
    # Organisations of the audience no message could go to (no contact with an address or
    # webhook): they have no Message row, so the notice keeps them to count them as missed.
    unreachable = models.JSONField(
        default=list, blank=True, help_text="ids of the organisations no message could go to"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["source_type", "source_id"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def labelled(self) -> Labelled:
        orgs = set(self.messages.values_list("organization_id", flat=True))
        return Labelled(
            tlp=TLP(self.tlp), recipient_organization_ids=frozenset(o for o in orgs if o)
        )


class Message(models.Model):
    """One message to one address over one channel: the outbox row."""

    EMAIL, WEBHOOK = "email", "webhook"
    CHANNEL_CHOICES = [(EMAIL, "Email"), (WEBHOOK, "Webhook")]

    HELD = "held"  # not sent: the recipient's key is unusable and the policy says hold
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; the lease says until when
    ACCEPTED = "accepted"  # the SMTP server or webhook receiver accepted it
    BOUNCED = "bounced"  # a delivery status notification said it failed later
    DEAD = "dead"  # given up; `dead_reason` says why; a coordinator may retry
    CANCELLED = "cancelled"
    # An exercise's message to a contact who did not opt in to exercises: recorded as what
    # would have been sent, never sent (no sender claims it).
    SIMULATED = "simulated"
    STATE_CHOICES = [
        (HELD, "Held"),
        (QUEUED, "Queued"),
        (SENDING, "Sending"),
        (ACCEPTED, "Accepted"),
        (BOUNCED, "Bounced"),
        (DEAD, "Dead letter"),
        (CANCELLED, "Cancelled"),
        (SIMULATED, "Would have sent (exercise; contact not opted in)"),
    ]

    PLAIN, SIGNED, ENCRYPTED = "plain", "signed", "encrypted"
    SECURITY_CHOICES = [(PLAIN, "Plain"), (SIGNED, "Signed"), (ENCRYPTED, "Signed and encrypted")]

    key = models.CharField(max_length=32, unique=True, default=new_key)
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    kind = models.CharField(max_length=32)
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES)
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact = models.ForeignKey(
        "directory.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(max_length=500, help_text="email address or webhook URL")
    host = models.CharField(max_length=255, help_text="mail domain or URL host: rate limits")
    language = models.CharField(max_length=16, default="en")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    payload = models.JSONField(default=dict, blank=True)
    security = models.CharField(max_length=10, choices=SECURITY_CHOICES, default=PLAIN)
    flags = models.JSONField(
        default=list, blank=True, help_text="problems noticed, e.g. key expired"
    )
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    dead_reason = models.CharField(max_length=500, blank=True)
    server_reply = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = models.CharField(max_length=16, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    # The exercise that caused it (dnscc.exercises; core.exercise_mark): live lists and
    # counts leave marked rows out unless the viewer asks for exercise data.
    exercise = models.PositiveIntegerField(
        null=True, blank=True, db_index=True, help_text="the exercise that caused it; empty: live"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["organization", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key} to {self.address}"

    @property
    def status(self) -> str:
        """Where the recipient stands: acknowledged beats every delivery state."""
        return "acknowledged" if self.acknowledged_at else self.state


class MessageEvent(models.Model):
    """The per-recipient timeline: queued, sent, accepted, deferred, bounced, acknowledged..."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    event = models.CharField(max_length=24)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event}"


class Advisory(models.Model):
    """An advisory: drafted, reviewed, published as a CSAF 2.0 document and distributed."""

    SECURITY = "csaf_security_advisory"
    INFORMATIONAL = "csaf_informational_advisory"
    CATEGORY_CHOICES = [
        (SECURITY, "Security advisory (a flaw in DNS software or a protocol)"),
        (INFORMATIONAL, "Informational advisory (a threat notice)"),
    ]
    DRAFT, REVIEW, PUBLISHED = "draft", "review", "published"
    STATUS_CHOICES = [(DRAFT, "Draft"), (REVIEW, "In review"), (PUBLISHED, "Published")]

    tracking_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    category = models.CharField(max_length=32, choices=CATEGORY_CHOICES)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.CLEAR.value)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    summary = models.TextField()
    details = models.TextField(blank=True)
    recommendation = models.TextField(blank=True)
    products = models.JSONField(
        default=list, blank=True, help_text='[{"vendor", "product", "versions": [...]}]'
    )
    vulnerabilities = models.JSONField(
        default=list, blank=True, help_text='[{"cve", "title", "description"}]'
    )
    references = models.JSONField(default=list, blank=True, help_text='[{"url", "summary"}]')
    audience = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"regions": [], "kinds": [], "languages": [], "organizations": [slugs]}',
    )
    document = models.TextField(blank=True, help_text="the published CSAF JSON, byte for byte")
    signature = models.TextField(blank=True, help_text="OpenPGP detached signature (.asc)")
    sha256 = models.CharField(max_length=64, blank=True)
    sha512 = models.CharField(max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="who submitted this version for review (its author: not its approver)",
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="first publication (initial_release_date; the URL's year)"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Revisions: `document` stays the last published version, served while the next one is
    # drafted and reviewed (status draft/review with version >= 1).
    version = models.PositiveIntegerField(default=0, help_text="published versions so far")
    current_release_at = models.DateTimeField(
        null=True, blank=True, help_text="the last publication (current_release_date)"
    )
    revision_history = models.JSONField(
        default=list, blank=True, help_text='[{"number", "date", "summary"}] as published'
    )
    revision_summary = models.CharField(
        max_length=300, blank=True, help_text="what the revision being drafted changes"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "advisories"

    def __str__(self) -> str:
        return f"{self.tracking_id}: {self.title}"

    @property
    def is_published(self) -> bool:
        """Published at least once: its last published version is served."""
        return self.version > 0

    def labelled(self) -> Labelled:
        orgs: frozenset[int] = frozenset()
        if self.notice_id:
            orgs = frozenset(
                o
                for o in Message.objects.filter(notice_id=self.notice_id).values_list(
                    "organization_id", flat=True
                )
                if o
            )
        return Labelled(
            tlp=TLP(self.tlp),
            author_user_id=self.created_by_id,
            recipient_organization_ids=orgs,
        )


class ChannelHealth(models.Model):
    """How a channel has been answering: the SMTP relay ("smtp"), or one webhook host
    ("webhook:HOST"). Written by the sender when a connection fails or succeeds (not on a
    recipient's own refusal): the banner on staff pages and `dnscc outreach status` read it."""

    channel = models.CharField(max_length=300, unique=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="first failure since the last success; empty: healthy"
    )
    failures = models.PositiveIntegerField(default=0, help_text="failures since the last success")
    last_error = models.CharField(max_length=500, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["channel"]
        verbose_name_plural = "channel health"

    def __str__(self) -> str:
        return f"{self.channel}: {'failing' if self.failing_since else 'ok'}"
