"""System checks of the metrics app: the objectives profile is read when the center starts,
and a profile naming an unknown figure, statistic or dimension is refused (metrics.E001)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from dnscc.core.errors import ConfigError


@register()
def objectives_profile(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from dnscc.metrics import objectives

    path = objectives.profile_path()
    try:
        found = objectives.problems(objectives.read(path))
    except ConfigError as exc:
        found = [exc.message]
    return [
        Error(
            p if p.startswith(str(path)) else f"objectives profile {path}: {p}",
            hint="fix the profile (docs/metrics.md lists the figures and statistics)",
            id="metrics.E001",
        )
        for p in found
    ]
