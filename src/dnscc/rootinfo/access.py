"""Who may see the root server information space: the center's staff and the members of
root server operators, nobody else (a space shared with the root operators, not a public
scorecard). The RSSAC002 figures themselves are TLP:CLEAR (the operators publish them);
the center's own measurements are TLP:GREEN, shared inside this space."""

from __future__ import annotations

from dnscc.core.errors import PermissionDenied
from dnscc.core.tlp import TLP, Viewer

RSSAC002_TLP = TLP.CLEAR
MEASUREMENTS_TLP = TLP.GREEN


def is_root_operator(viewer: Viewer) -> bool:
    if viewer.organization_id is None or viewer.role is None:
        return False
    from dnscc.directory.models import Organization

    return Organization.objects.filter(
        pk=viewer.organization_id, kind=Organization.ROOT_SERVER_OPERATOR
    ).exists()


def may_view(viewer: Viewer) -> bool:
    return viewer.is_staff or is_root_operator(viewer)


def require_view(viewer: Viewer) -> None:
    if not may_view(viewer):
        raise PermissionDenied(
            "The root server information space is for center staff and root server operators."
        )
