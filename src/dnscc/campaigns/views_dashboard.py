"""Portal pages of verification, the dashboard and exports."""

from __future__ import annotations

from django.urls import URLPattern

patterns: list[URLPattern] = []
