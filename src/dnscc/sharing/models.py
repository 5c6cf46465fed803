"""Sharing with the CSIRT ecosystem: trust groups, what was published to them (STIX objects
served over TAXII 2.1 and as a MISP feed), who pulled what, and intelligence imported from
partners with its matches in the directory.

SharedObject is the big table (two rows a name for a published campaign): short indexed
columns, the object's JSON as text, written in batches, read in date_added order.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from dnscc.core.tlp import TLP, Labelled

VETTING_RANK = {"unvetted": 0, "vetted": 1, "trusted": 2}


class TrustGroup(models.Model):
    """A circle of organisations that share under one agreement (a TAXII API root)."""

    slug = models.SlugField(max_length=64, unique=True, help_text="the TAXII API root's path")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    min_vetting = models.CharField(
        max_length=16,
        choices=[("unvetted", "Unvetted"), ("vetted", "Vetted"), ("trusted", "Trusted")],
        default="vetted",
        help_text="the lowest vetting level of the directory a member may have",
    )
    tlp_ceiling = models.CharField(
        max_length=16,
        choices=TLP.choices(),
        default=TLP.AMBER.value,
        help_text="the most restricted label published to the group (RED never is)",
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """One version of a group's sharing agreement. A member must accept the latest."""

    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveIntegerField()
    text = models.TextField()
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["group", "version"], name="agreement_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.group} agreement v{self.version}"


class Membership(models.Model):
    """An organisation in a group, and the agreement version it accepted (who, when)."""

    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="trust_memberships"
    )
    accepted_version = models.PositiveIntegerField(default=0)
    accepted_by = models.CharField(max_length=150, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    added_by = models.CharField(max_length=150, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "organization"], name="membership_once")
        ]

    def __str__(self) -> str:
        return f"{self.organization} in {self.group}"


class Collection(models.Model):
    """A TAXII collection of a group: one per kind of content, with member permissions."""

    KINDS = [
        ("incidents", "Incidents"),
        ("campaigns", "Campaigns and their names"),
        ("advisories", "Advisories"),
        ("sightings", "Monitoring sightings"),
        ("submissions", "Members' submissions"),
    ]

    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="collections")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=KINDS)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    member_read = models.BooleanField(default=True)
    member_write = models.BooleanField(default=False)
    last_added = models.DateTimeField(null=True, blank=True, help_text="serialises date_added")

    class Meta:
        ordering = ["group", "kind"]
        constraints = [models.UniqueConstraint(fields=["group", "kind"], name="collection_kind")]

    def __str__(self) -> str:
        return f"{self.group.slug}/{self.kind}"


class Publication(models.Model):
    """One thing published to a group: what was shared with whom, by whom, when."""

    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="publications")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # incident, campaign, advisory, finding, import
    ref = models.CharField(max_length=120, help_text="incident ref, campaign slug, ...")
    title = models.CharField(max_length=300)
    tlp = models.CharField(max_length=16, choices=TLP.choices())
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="MISP event")
    object_count = models.PositiveIntegerField(default=0)
    indicator_count = models.PositiveIntegerField(default=0)
    published_by = models.CharField(max_length=150, blank=True)
    published_at = models.DateTimeField()
    # An AMBER+STRICT publication is only for the organisations it is about.
    audience = models.JSONField(default=list, blank=True, help_text="organisation ids, or all")

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} to {self.group.slug}"


class SharedObject(models.Model):
    """One version of one STIX object in one collection, as served (JSON text)."""

    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="shared_objects"
    )
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.CASCADE, related_name="shared"
    )
    stix_id = models.CharField(max_length=120)
    stix_type = models.CharField(max_length=64)
    version = models.CharField(max_length=32, help_text="the object's `modified`")
    date_added = models.DateTimeField(help_text="strictly increasing within the collection")
    tlp = models.CharField(max_length=16, choices=TLP.choices())
    for_org = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    may_forward = models.BooleanField(default=True)
    value = models.CharField(max_length=253, blank=True, help_text="an indicator's observable")
    data = models.TextField()

    class Meta:
        ordering = ["collection", "date_added"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "stix_id", "version"], name="shared_version_once"
            )
        ]
        indexes = [
            models.Index(fields=["collection", "date_added"]),
            models.Index(fields=["collection", "stix_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} ({self.version})"

    def labelled(self, members: frozenset[int], audience: frozenset[int]) -> Labelled:
        """TLP as the group applies it: members are the AMBER recipients; AMBER+STRICT is
        for the organisation it is about (or the publication's audience) only."""
        label = TLP(self.tlp)
        if label is TLP.AMBER_STRICT:
            orgs = frozenset([self.for_org_id]) if self.for_org_id else audience
        else:
            orgs = members
        return Labelled(tlp=label, recipient_organization_ids=orgs & members)


class Pull(models.Model):
    """Who pulled which object of a group, when and how (TAXII or the MISP feed)."""

    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="pulls")
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    stix_id = models.CharField(max_length=120)
    version = models.CharField(max_length=32, blank=True)
    via = models.CharField(max_length=8)  # taxii, misp
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["group", "at"]), models.Index(fields=["stix_id"])]

    def __str__(self) -> str:
        return f"{self.username} pulled {self.stix_id}"


class TaxiiStatus(models.Model):
    """The status resource of a TAXII write (POST to a collection's objects)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="+")
    username = models.CharField(max_length=150)
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_timestamp = models.DateTimeField()
    total = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list)
    failures = models.JSONField(default=list)

    def __str__(self) -> str:
        return str(self.uid)


class FeedSource(models.Model):
    """A partner's feed the center polls: a TAXII 2.1 collection or a MISP feed (URL)."""

    TAXII, MISP = "taxii", "misp"
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=[(TAXII, "TAXII 2.1"), (MISP, "MISP feed")])
    url = models.URLField(max_length=500, help_text="collection URL, or the feed's base URL")
    token = models.CharField(max_length=500, blank=True, help_text="bearer token, if needed")
    source_tlp = models.CharField(max_length=16, choices=TLP.choices(), blank=True)
    cursor = models.CharField(max_length=64, blank=True, help_text="last added_after seen")
    seen = models.JSONField(default=dict, blank=True, help_text="MISP events and their hash")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Import(models.Model):
    """One intake of partner intelligence: a bundle, a MISP event/feed or a poll."""

    STIX_FILE, STIX_API, TAXII, MISP_FEED, MISP_JSON = (
        "stix-file",
        "stix-api",
        "taxii",
        "misp-feed",
        "misp-json",
    )
    KIND_CHOICES = [
        (STIX_FILE, "STIX bundle (file)"),
        (STIX_API, "STIX bundle (API)"),
        (TAXII, "TAXII collection"),
        (MISP_FEED, "MISP feed"),
        (MISP_JSON, "MISP JSON export"),
    ]

    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    source_name = models.CharField(max_length=300, help_text="file name or URL")
    provenance = models.CharField(max_length=300, help_text="who shared it, how")
    source = models.ForeignKey(
        FeedSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    group = models.ForeignKey(
        TrustGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_tlp = models.CharField(max_length=16, choices=TLP.choices(), blank=True)
    tlp = models.CharField(max_length=16, choices=TLP.choices(), default=TLP.RED.value)
    may_forward = models.BooleanField(default=True)
    policy = models.CharField(max_length=8, default="keep")
    sha256 = models.CharField(max_length=64, blank=True)
    object_count = models.PositiveIntegerField(default=0)
    indicator_count = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    tlds = models.PositiveIntegerField(default=0)
    registries = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True, help_text="rejections (capped), types")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    incident_ref = models.CharField(max_length=32, blank=True, help_text="opened from it")
    campaign_slug = models.CharField(max_length=100, blank=True, help_text="opened from it")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_name}"

    def labelled(self) -> Labelled:
        return Labelled(tlp=TLP(self.tlp), author_user_id=self.created_by_id)


class Intel(models.Model):
    """One imported domain or address, its label, and what it matches in the directory."""

    DOMAIN, IP = "domain", "ip"
    imported = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="intel")
    kind = models.CharField(max_length=8, choices=[(DOMAIN, "Domain"), (IP, "IP address")])
    value = models.CharField(max_length=253)
    tld = models.CharField(max_length=63, blank=True)
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tlp_rank = models.PositiveSmallIntegerField(null=True, help_text="0 CLEAR .. 4 RED")
    pending = models.CharField(max_length=100, blank=True, help_text="marking or event to resolve")
    ref = models.CharField(max_length=120, blank=True, help_text="the source object")

    class Meta:
        ordering = ["imported", "value"]
        indexes = [models.Index(fields=["imported", "tld"]), models.Index(fields=["value"])]

    def __str__(self) -> str:
        return self.value


class KeptObject(models.Model):
    """An imported object that is not an indicator, kept as it came (policy "keep")."""

    imported = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="kept_objects")
    ref = models.CharField(max_length=120, blank=True)
    type = models.CharField(max_length=64)
    custom = models.BooleanField(default=False)
    data = models.TextField()

    def __str__(self) -> str:
        return self.ref or self.type
