"""What the center keeps of the root server system, compactly.

- DailyFile: one published RSSAC002 file (a letter's metric for one UTC day) as read, its
  histograms as arrays, never a row per bucket. Re-reading the same bytes changes nothing;
  other bytes for the same letter, metric and day replace it and count a correction.
- LetterDay: the figures of one letter on one day that plots sum over years and the
  anomaly detector watches, in typed columns (SQL aggregates them; JSON would not).
- SizeMonth: a letter's traffic-size histograms summed over a month, for plots over years
  (letter "": the 13 letters together).
- PeriodSums: a letter's LetterDay figures summed over a week or a month, kept at ingestion
  (periods.py), for plots over years (letter "": the 13 letters together).
- IngestRun: one ingestion, what it kept, replaced and refused (file and line).
- Anomaly: a day a series left its baseline (the alert it opened is in monitoring).
- Measurement: one RSSAC047 round of our own probe against one letter.
"""

from __future__ import annotations

from django.db import models

from dnscc.core.rssac002 import METRICS

METRIC_CHOICES = [(m, m) for m in METRICS]


class DailyFile(models.Model):
    letter = models.CharField(max_length=1, blank=True, help_text='"" for the Root Zone Maintainer')
    metric = models.CharField(max_length=16, choices=METRIC_CHOICES)
    day = models.DateField()
    version = models.PositiveSmallIntegerField()
    values = models.JSONField(default=dict)
    extras = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=500, blank=True)
    ingested_at = models.DateTimeField()
    corrections = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "letter", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "metric", "day"], name="dailyfile_once")
        ]
        indexes = [models.Index(fields=["metric", "day"])]

    def __str__(self) -> str:
        return f"{self.letter or 'rzm'}-root {self.metric} {self.day}"


class LetterDay(models.Model):
    letter = models.CharField(max_length=1)
    day = models.DateField()
    queries_udp4 = models.BigIntegerField(null=True)
    queries_udp6 = models.BigIntegerField(null=True)
    queries_tcp4 = models.BigIntegerField(null=True)
    queries_tcp6 = models.BigIntegerField(null=True)
    responses_udp4 = models.BigIntegerField(null=True)
    responses_udp6 = models.BigIntegerField(null=True)
    responses_tcp4 = models.BigIntegerField(null=True)
    responses_tcp6 = models.BigIntegerField(null=True)
    rcode_noerror = models.BigIntegerField(null=True)
    rcode_servfail = models.BigIntegerField(null=True)
    rcode_nxdomain = models.BigIntegerField(null=True)
    rcode_refused = models.BigIntegerField(null=True)
    rcode_total = models.BigIntegerField(null=True)
    sources_ipv4 = models.BigIntegerField(null=True)
    sources_ipv6 = models.BigIntegerField(null=True)
    sources_ipv6_aggregate = models.BigIntegerField(null=True)
    load_time_median = models.FloatField(null=True)
    load_time_max = models.FloatField(null=True)

    class Meta:
        ordering = ["day", "letter"]
        constraints = [models.UniqueConstraint(fields=["letter", "day"], name="letterday_once")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.letter}-root {self.day}"


class SizeMonth(models.Model):
    letter = models.CharField(max_length=1, blank=True, help_text='"": all letters together')
    month = models.DateField(help_text="the first day of the month")
    days = models.PositiveSmallIntegerField(default=0)
    histograms = models.JSONField(default=dict, help_text="name -> display bins (see sizes.py)")

    class Meta:
        ordering = ["month", "letter"]
        constraints = [models.UniqueConstraint(fields=["letter", "month"], name="sizemonth_once")]

    def __str__(self) -> str:
        return f"{self.letter}-root sizes {self.month:%Y-%m}"


class PeriodSums(models.Model):
    """The LetterDay figures of one letter (or of all: letter "") summed over one week or
    month: what the plots over years read instead of a row per letter and day. Always
    recomputed from the LetterDay rows of the period (periods.refresh), never adjusted."""

    letter = models.CharField(max_length=1, blank=True, help_text='"": all letters together')
    step = models.CharField(max_length=5, help_text="week (ISO, from Monday) or month")
    start = models.DateField(help_text="the period's first day")
    days = models.PositiveIntegerField(
        default=0, help_text="days with figures (letter '': distinct days, any letter)"
    )
    days_with = models.JSONField(
        default=dict, help_text="group -> letter-days with a value in the group's columns"
    )
    sums = models.JSONField(default=dict, help_text="column -> sum over the period")
    load_times = models.JSONField(default=list, help_text="each letter-day's load_time_max")

    class Meta:
        ordering = ["step", "start", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "step", "start"], name="periodsums_once")
        ]
        indexes = [models.Index(fields=["step", "start"])]

    def __str__(self) -> str:
        return f"{self.letter or 'all'}-root {self.step} of {self.start}"


class IngestRun(models.Model):
    RUNNING, DONE, FAILED = "running", "done", "failed"
    STATE_CHOICES = [(RUNNING, "Running"), (DONE, "Done"), (FAILED, "Failed")]

    source = models.CharField(max_length=500)
    kind = models.CharField(max_length=16)  # file, directory, tarball, url, upload
    actor = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=8, choices=STATE_CHOICES, default=RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    files_new = models.PositiveIntegerField(default=0)
    files_unchanged = models.PositiveIntegerField(default=0)
    files_corrected = models.PositiveIntegerField(default=0)
    files_rejected = models.PositiveIntegerField(default=0)
    notes = models.PositiveIntegerField(default=0, help_text="irregularities read")
    problems = models.JSONField(default=list, blank=True)  # the first 500: file, line, error
    corrections = models.JSONField(default=list, blank=True)  # the first 500 replaced files
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"ingest {self.pk} of {self.source}"


class Anomaly(models.Model):
    """One letter's series off its baseline on one day (system: letter "")."""

    letter = models.CharField(max_length=1, blank=True)
    series = models.CharField(max_length=32)
    day = models.DateField()
    value = models.FloatField()
    baseline = models.FloatField()
    spread = models.FloatField(help_text="1.4826 x MAD of the baseline window")
    score = models.FloatField(help_text="robust z: (value - baseline) / spread")
    method = models.CharField(max_length=120)
    letters = models.JSONField(default=list, blank=True, help_text="system-wide: the letters")
    alert = models.ForeignKey(
        "monitoring.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "letter", "series"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "series", "day"], name="anomaly_once")
        ]

    def __str__(self) -> str:
        return f"{self.letter or 'system'} {self.series} {self.day}"


class Measurement(models.Model):
    """One RSSAC047 round of the center's probe against one letter: per address and
    transport the answer (or its absence), latency and serial; the round's correctness."""

    letter = models.CharField(max_length=1)
    at = models.DateTimeField()
    results = models.JSONField(
        default=list, help_text="[{address, transport, ok, ms, serial, error}]"
    )
    correct = models.BooleanField(null=True, help_text="None: no answer to judge")
    correctness = models.JSONField(default=list, blank=True, help_text="what was checked")
    serial = models.BigIntegerField(null=True, help_text="the SOA serial it served")

    class Meta:
        ordering = ["-at", "letter"]
        indexes = [models.Index(fields=["letter", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.letter}-root at {self.at:%Y-%m-%d %H:%M}"


class SerialSeen(models.Model):
    """When each root zone serial was first seen at any letter and at each letter: what
    RSSAC047 publication latency is measured from."""

    serial = models.BigIntegerField()
    letter = models.CharField(max_length=1, blank=True, help_text='"": first seen at any letter')
    first_seen = models.DateTimeField()

    class Meta:
        ordering = ["serial", "letter"]
        constraints = [models.UniqueConstraint(fields=["serial", "letter"], name="serial_once")]

    def __str__(self) -> str:
        return f"{self.serial} at {self.letter or 'first'}"
