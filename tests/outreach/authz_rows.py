"""Authorization matrix rows of the operator's portal and the demo mailbox (collected by
tests/test_authz_matrix.py).

The Demo mailbox is staff-only (and exists in development mode only, which the suite runs
in). "Our contacts" belongs to an organisation's members: each sees and edits only its own
organisation's contacts (contact_a is org_a's: the outsider and the partner find nothing),
and staff keep contacts in the directory instead (404 here).
"""

from __future__ import annotations

from typing import Any

from tests.authz import Row, page_statuses
from tests.conftest import World

API_ROWS: list[Row] = []

MEMBERS_OWN = page_statuses(404, members=200)
ONLY_OPERATOR = page_statuses(404, members=404, operator=302)


def _edit(world: World) -> dict[str, Any]:
    c = world.contact_a
    return {
        "name": c.name,
        "email": c.email,
        "phone": "+254 700 000000",
        "seen": c.updated_at.isoformat(),
    }


PAGE_ROWS = [
    Row("GET", "/outreach/mailbox/", page_statuses(200)),
    Row(
        "GET",
        "/directory/mine/contacts/",
        MEMBERS_OWN,
        secrets=("security@alpha.example",),
        secret_for=("partner", "outsider"),
    ),
    Row(
        "POST",
        "/directory/mine/contacts/add",
        page_statuses(404, members=302),
        body=lambda w: {"name": "Night desk", "email": "night@example.net"},
        mutates=True,
    ),
    Row(
        "POST",
        "/directory/mine/contacts/{contact_id}/edit",
        ONLY_OPERATOR,
        body=_edit,
        mutates=True,
    ),
    Row(
        "POST",
        "/directory/mine/contacts/{contact_id}/remove",
        ONLY_OPERATOR,
        body=lambda w: {"confirm": "yes"},
        mutates=True,
    ),
    Row("POST", "/directory/mine/contacts/{contact_id}/verify", ONLY_OPERATOR, mutates=True),
    Row(
        "POST",
        "/directory/mine/contacts/{contact_id}/no-such-action",
        page_statuses(404, members=404),
        mutates=True,
    ),
]
