"""The metrics app's own records: the quarterly transparency reports, each version kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TransparencyReport(models.Model):
    """One version of a quarter's TLP:CLEAR transparency report. Its figures are frozen when
    it is drafted (regional aggregates, small cells already suppressed); a coordinator other
    than the one who drafted it publishes it (two-person rule). Publishing a quarter again
    means drafting and publishing a new version: every published version stays available."""

    DRAFT, PUBLISHED = "draft", "published"
    STATUS_CHOICES = [(DRAFT, "Draft (in review)"), (PUBLISHED, "Published")]

    quarter = models.CharField(max_length=7, help_text="2026-Q3")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    data = models.JSONField(help_text="the report's figures, as published")
    min_cell = models.PositiveIntegerField()
    note = models.TextField(blank=True, help_text="why this version (a correction, ...)")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafted_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-quarter", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["quarter", "version"], name="transparency_version_once")
        ]

    def __str__(self) -> str:
        return f"transparency report {self.quarter} v{self.version} ({self.status})"
