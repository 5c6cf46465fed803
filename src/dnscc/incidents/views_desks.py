"""Portal pages (filled in by their owner)."""

from __future__ import annotations

from django.urls import URLPattern

patterns: list[URLPattern] = []
