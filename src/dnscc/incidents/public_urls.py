"""The public report form (anonymous, rate-limited), under /report/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "report"
urlpatterns: list[URLPattern] = []
