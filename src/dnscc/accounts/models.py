"""Accounts: a role per user, API tokens stored hashed, and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_otp.models import Device

from dnscc.core.regions import Region
from dnscc.core.tlp import Role

REGION_CHOICES = [(r.value, r.label) for r in Region]


class Account(models.Model):
    """The center's view of a user: a role, an organisation, duty desks.

    A user without an Account (or with no role) can log in but sees nothing: deny by default.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account"
    )
    role = models.CharField(max_length=16, choices=[(r.value, r.value.title()) for r in Role])
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text="Required for operators and partners: the organisation whose business they see.",
    )
    desks = models.JSONField(
        default=list,
        blank=True,
        help_text="Regional duty desks (ICANN region codes) a coordinator staffs.",
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class ApiToken(models.Model):
    """A per-user API token. The secret is shown once; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (dnscc_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log.

    `hash` = SHA-256 over the previous entry's hash and this entry's canonical content
    (see accounts.audit). Editing or deleting a row breaks the chain, which
    `dnscc audit verify` detects. UPDATE is also refused by a database trigger.
    """

    CHANGE = "change"
    DISCLOSURE = "disclosure"
    AUTH = "auth"
    SECURITY = "security"  # refused input worth a look: bad signatures, wrong tokens, bots
    KIND_CHOICES = [
        (CHANGE, "Change"),
        (DISCLOSURE, "Disclosure"),
        (AUTH, "Authentication"),
        (SECURITY, "Security"),
    ]

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    actor = models.CharField(max_length=150)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The single row holding the chain's tip; locking it serialises appends."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class LoginThrottle(models.Model):
    """Failed logins counted per key (a normalised account name, a client address, or the
    whole center) within a window; accounts.throttle turns the count into a delay."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.IntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} failures since {self.first_at:%Y-%m-%d %H:%M}"


class Passkey(Device):
    """A WebAuthn credential (a passkey or security key) used as a second factor: a
    django-otp device, so a session verified with it counts like one verified with an
    authenticator app (accounts.passkeys). The public key is stored, never a secret."""

    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
