from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dnscc.accounts.services import viewer_for


def _outbox_banner() -> Any:
    from dnscc.outreach import health

    return health.banner() or {}


def portal(request: HttpRequest) -> dict[str, Any]:
    viewer = viewer_for(getattr(request, "user", None))
    return {
        # The navigation's counts (alerts waiting, SLA breaches, reports to triage): a few
        # COUNT queries, run only when a staff page's navigation reads them.
        "nav_counts": SimpleLazyObject(lambda: _nav_counts(viewer)) if viewer.is_staff else {},
        # A relay refusing or timing out for longer than DNSCC_OUTBOX_ALERT_SECONDS: a
        # banner on every staff page (evaluated only when a template shows it).
        "outbox_banner": SimpleLazyObject(_outbox_banner) if viewer.is_staff else None,
        "viewer": viewer,
        "is_staff_viewer": viewer.is_staff,
        "role": viewer.role.value if viewer.role else None,
        "dev_mode": settings.DEV,
        # Asked only when a template reads it (the navigation of operators' members).
        "is_root_operator": lambda: _root_operator(viewer),
    }


def _nav_counts(viewer: Any) -> dict[str, int]:
    from dnscc.web.console import nav_counts

    return nav_counts(viewer)


def _root_operator(viewer: Any) -> bool:
    from dnscc.rootinfo.access import is_root_operator

    return is_root_operator(viewer)
