"""Portal pages of campaigns."""

from __future__ import annotations

from django.urls import URLPattern

patterns: list[URLPattern] = []
