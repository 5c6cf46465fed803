from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from dnscc.accounts.services import viewer_for


def portal(request: HttpRequest) -> dict[str, Any]:
    viewer = viewer_for(getattr(request, "user", None))
    return {
        "viewer": viewer,
        "is_staff_viewer": viewer.is_staff,
        "role": viewer.role.value if viewer.role else None,
        "dev_mode": settings.DEV,
        # Asked only when a template reads it (the navigation of operators' members).
        "is_root_operator": lambda: _root_operator(viewer),
    }


def _root_operator(viewer: Any) -> bool:
    from dnscc.rootinfo.access import is_root_operator

    return is_root_operator(viewer)
