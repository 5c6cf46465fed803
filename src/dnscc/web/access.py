"""View helpers: who may open a page. Deny by default; the rule itself is in core.tlp."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse

from dnscc.accounts.services import viewer_for

View = Callable[..., HttpResponse]


def role_required(*, staff: bool = False, admin: bool = False) -> Callable[[View], View]:
    """Logged-in users with a role; `staff` restricts to coordinators and admins."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            viewer = viewer_for(request.user)
            if viewer.role is None:
                raise DjangoPermissionDenied("Your account has no role in the center yet.")
            if admin and viewer.role.value != "admin":
                raise DjangoPermissionDenied("Only administrators may open this page.")
            if staff and not viewer.is_staff:
                raise DjangoPermissionDenied("Only center staff may open this page.")
            request.viewer = viewer  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
