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
    }
