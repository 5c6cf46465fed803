"""Saved views of the incident list: a user's named filters, kept as the query string of
`services.IncidentFilters.to_query()` so that a saved view is a plain link to the list."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.tlp import Viewer
from dnscc.incidents.models import SavedView

NAME_MAX = 100
QUERY_MAX = 1000


def saved_views(viewer: Viewer, user: Any) -> list[SavedView]:
    """The user's own saved views, by name (nobody sees another user's)."""
    if not viewer.is_staff:
        return []
    return list(SavedView.objects.filter(user=user))


def save_view(viewer: Viewer, actor: audit.Actor, user: Any, *, name: str, query: str) -> SavedView:
    """Save `query` under `name` for `user`; saving under an existing name replaces it."""
    if not viewer.is_staff:
        raise PermissionDenied("Only center staff keep saved views of incidents.")
    name = " ".join((name or "").split())
    if not name:
        raise InputError("give the view a name", location=Location(field="name"))
    if len(name) > NAME_MAX:
        raise InputError(
            f"a name has at most {NAME_MAX} characters", location=Location(field="name")
        )
    query = (query or "").lstrip("?")
    if len(query) > QUERY_MAX:
        raise InputError(
            f"these filters are too long to save (over {QUERY_MAX} characters)",
            location=Location(field="query"),
        )
    with transaction.atomic():
        view, created = SavedView.objects.update_or_create(
            user=user, name=name, defaults={"query": query}
        )
        audit.record(
            actor,
            "incident.saved_view.save",
            obj=view,
            summary=f"saved view {name!r}",
            data={"query": query, "replaced": not created},
        )
    return view


def delete_view(viewer: Viewer, actor: audit.Actor, user: Any, view_id: int) -> None:
    """Delete one of the user's saved views; another user's is not found."""
    if not viewer.is_staff:
        raise PermissionDenied("Only center staff keep saved views of incidents.")
    with transaction.atomic():
        view = SavedView.objects.filter(pk=view_id, user=user).first()
        if view is None:
            raise NotFoundError(f"no saved view {view_id}")
        audit.record(
            actor,
            "incident.saved_view.delete",
            obj=view,
            summary=f"deleted saved view {view.name!r}",
            data={"query": view.query},
        )
        view.delete()
