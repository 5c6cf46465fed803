"""Who operates what in the DNS, and how to reach them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dnscc.accounts.models import REGION_CHOICES
from dnscc.core.tlp import TLP, Labelled


class Organization(models.Model):
    TLD_REGISTRY = "tld_registry"
    REGISTRAR = "registrar"
    ROOT_SERVER_OPERATOR = "root_server_operator"
    RESOLVER_OPERATOR = "resolver_operator"
    CSIRT = "csirt"
    LAW_ENFORCEMENT = "law_enforcement"
    OTHER = "other"
    KIND_CHOICES = [
        (TLD_REGISTRY, "TLD registry operator"),
        (REGISTRAR, "Registrar"),
        (ROOT_SERVER_OPERATOR, "Root server operator"),
        (RESOLVER_OPERATOR, "Resolver / ISP operator"),
        (CSIRT, "CSIRT / national CERT"),
        (LAW_ENFORCEMENT, "Law enforcement"),
        (OTHER, "Other"),
    ]
    UNVETTED, VETTED, TRUSTED = "unvetted", "vetted", "trusted"
    VETTING_CHOICES = [(UNVETTED, "Unvetted"), (VETTED, "Vetted"), (TRUSTED, "Trusted")]

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=KIND_CHOICES, default=OTHER)
    region = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    time_zone = models.CharField(max_length=64, blank=True)
    languages = models.JSONField(
        default=list, blank=True, help_text="BCP 47 codes, preferred first"
    )
    resource_constrained = models.BooleanField(default=False)
    # The flag's evidence: why, who set it, when (services.constrained_evidence).
    constrained_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="why: no CSIRT in country, single-person registry, ...",
    )
    constrained_by = models.CharField(max_length=150, blank=True)
    constrained_at = models.DateTimeField(null=True, blank=True)
    vetting = models.CharField(max_length=16, choices=VETTING_CHOICES, default=UNVETTED)
    vetted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    vetted_at = models.DateTimeField(null=True, blank=True)
    inferred = models.BooleanField(
        default=False, help_text="Created by operator inference from the root zone; unconfirmed."
    )
    inference_key = models.CharField(max_length=100, blank=True, db_index=True)
    inference_evidence = models.JSONField(default=dict, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    iana_name = models.CharField(
        max_length=300,
        blank=True,
        db_index=True,
        help_text="The TLD Manager as the IANA Root Zone Database names it (dnscc import "
        "iana-rootdb); kept when the organization is renamed or merged.",
    )
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "region"])]

    def __str__(self) -> str:
        return self.name

    def labelled(self) -> Labelled:
        return Labelled(tlp=TLP(self.tlp), owner_organization_id=self.pk)


class Tld(models.Model):
    CCTLD, GTLD, IDN_CCTLD, INFRASTRUCTURE = "cctld", "gtld", "idn_cctld", "infrastructure"
    KIND_CHOICES = [
        (CCTLD, "ccTLD"),
        (GTLD, "gTLD"),
        (IDN_CCTLD, "IDN ccTLD"),
        (INFRASTRUCTURE, "Infrastructure"),
    ]

    name = models.CharField(max_length=63, unique=True, help_text="A-label, lower case, no dot")
    unicode_name = models.CharField(max_length=63, blank=True)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    operator = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="tlds"
    )
    ns = models.JSONField(default=list, help_text="Name server host names, as delegated")
    glue = models.JSONField(default=dict, help_text="host -> addresses, from the root zone")
    ds = models.JSONField(default=list, help_text="[key tag, algorithm, digest type, digest]")
    delegated = models.BooleanField(default=True)
    root_serial = models.BigIntegerField(null=True, blank=True)
    # From the IANA Root Zone Database (dnscc import iana-rootdb): the legal manager beside
    # the technical operator inferred from the name servers.
    IANA_TYPES = [
        ("generic", "generic"),
        ("country-code", "country-code"),
        ("sponsored", "sponsored"),
        ("generic-restricted", "generic-restricted"),
        ("infrastructure", "infrastructure"),
        ("test", "test"),
    ]
    iana_type = models.CharField(max_length=20, choices=IANA_TYPES, blank=True)
    manager = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_tlds",
        help_text="The TLD Manager (sponsoring organisation) IANA records",
    )
    iana_manager = models.CharField(
        max_length=300, blank=True, help_text="The TLD Manager's name as IANA recorded it"
    )
    rdap_urls = models.JSONField(default=list, blank=True)
    iana_dnssec = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "TLD"

    def __str__(self) -> str:
        return f".{self.name}"

    @property
    def display_name(self) -> str:
        if self.unicode_name and self.unicode_name != self.name:
            return f".{self.unicode_name} ({self.name})"
        return f".{self.name}"

    @property
    def signed(self) -> bool:
        return bool(self.ds)


class RootZoneLoad(models.Model):
    """One root zone imported into the directory, and what its checks found: the serial the
    next import may not go back from, and what the directory says about its data."""

    serial = models.BigIntegerField()
    source = models.CharField(max_length=500)
    imported_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150, blank=True)
    digest = models.CharField(max_length=16, help_text="ZONEMD: verified, none, unverifiable")
    digest_detail = models.TextField(blank=True)
    chain = models.CharField(max_length=16, help_text="NSEC chain: complete, gaps, none")
    dnssec = models.TextField(blank=True, help_text="the apex signatures, when checked")
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"root zone {self.serial} ({self.digest})"


class RootServer(models.Model):
    letter = models.CharField(max_length=1, unique=True)
    host = models.CharField(max_length=64)
    addresses = models.JSONField(default=list)
    operator = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="root_servers"
    )

    class Meta:
        ordering = ["letter"]

    def __str__(self) -> str:
        return self.host


class Contact(models.Model):
    PERSON, ROLE = "person", "role"
    KIND_CHOICES = [(PERSON, "Person"), (ROLE, "Role mailbox")]

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(max_length=8, choices=KIND_CHOICES, default=ROLE)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    webhook_url = models.URLField(blank=True, max_length=500)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=16, blank=True)
    is_24x7 = models.BooleanField(default=False)
    pgp_key = models.TextField(blank=True)
    pgp_fingerprint = models.CharField(max_length=64, blank=True)
    pgp_algorithm = models.CharField(max_length=32, blank=True)
    pgp_expires = models.DateTimeField(null=True, blank=True)
    pgp_user_ids = models.JSONField(default=list, blank=True)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.AMBER.value)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_digest = models.CharField(max_length=64, blank=True)
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    # Consent to take part in exercises: an exercise's messages (marked EXERCISE) go only
    # to contacts who opted in; to the others they are recorded as "would have sent".
    exercise_opt_in = models.BooleanField(
        default=False, help_text="receives exercise messages (marked EXERCISE)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=~models.Q(email=""),
                name="contact_unique_email_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name

    def labelled(self) -> Labelled:
        return Labelled(tlp=TLP(self.tlp), owner_organization_id=self.organization_id)
