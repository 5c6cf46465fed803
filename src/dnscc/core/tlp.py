"""Traffic Light Protocol 2.0 and the one rule that decides who may see a labelled object.

TLP 2.0 (FIRST, https://www.first.org/tlp/) has five labels. What each means inside the
center, where the "community" is every account the center has vetted into a role:

    CLEAR         no limit: anyone, even without an account (published advisories).
    GREEN         the community: any account with a role (coordinator, operator, partner,
                  admin). Never an anonymous visitor or an account without a role.
    AMBER         the center's staff (coordinators, admins), the owning organisation, and
                  the organisations it is explicitly shared with (and their members).
    AMBER+STRICT  as AMBER, but only the owning and recipient organisations themselves:
                  recipients may not pass it on to their clients. Inside the center this
                  grants the same audience as AMBER; the difference is carried on the
                  object so that exports and forwards can refuse (see `may_forward`).
    RED           named individuals only: the author and the users it is explicitly shared
                  with. Center staff get no implicit access to RED.

`can_see` is the only place where this rule lives; every view, API endpoint, export and
message recipient list asks it. It is pure (no Django) so it is tested case by case.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field

from dnscc.core.errors import InputError, Location


class TLP(enum.StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def label(self) -> str:
        """The label as it is written on a document: TLP:AMBER+STRICT."""
        return f"TLP:{self.value}"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str, *, field: str = "tlp") -> TLP:
        """Accept 'amber+strict', 'TLP:AMBER+STRICT', 'AMBER_STRICT' and TLP 1.0's WHITE."""
        value = text.strip().upper().removeprefix("TLP:").replace("_", "+")
        if value == "WHITE":  # TLP 1.0 name of CLEAR
            value = "CLEAR"
        try:
            return cls(value)
        except ValueError:
            raise InputError(
                f"{text!r} is not a TLP 2.0 label",
                location=Location(field=field),
                hint="use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED",
            ) from None

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(t.value, t.label) for t in cls]


_RANK = {TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.AMBER_STRICT: 3, TLP.RED: 4}


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    OPERATOR = "operator"
    PARTNER = "partner"

    @property
    def is_staff(self) -> bool:
        return self in (Role.ADMIN, Role.COORDINATOR)


@dataclass(frozen=True)
class Viewer:
    """Who is asking. `role` None means anonymous or an account without a role."""

    user_id: int | None = None
    role: Role | None = None
    organization_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role is not None and self.role.is_staff


ANONYMOUS = Viewer()


@dataclass(frozen=True)
class Labelled:
    """What the rule needs to know of an object: its label, owner and explicit audience."""

    tlp: TLP
    owner_organization_id: int | None = None
    author_user_id: int | None = None
    recipient_organization_ids: Collection[int] = field(default_factory=frozenset)
    recipient_user_ids: Collection[int] = field(default_factory=frozenset)


def can_see(viewer: Viewer, obj: Labelled) -> bool:
    """True when `viewer` may see `obj` under TLP 2.0 as the center applies it."""
    if obj.tlp is TLP.CLEAR:
        return True
    if viewer.role is None or viewer.user_id is None:
        return False  # deny by default: everything past CLEAR needs an account with a role
    if obj.tlp is TLP.GREEN:
        return True
    if obj.tlp is TLP.RED:
        return viewer.user_id == obj.author_user_id or viewer.user_id in obj.recipient_user_ids
    # AMBER and AMBER+STRICT
    if viewer.is_staff:
        return True
    if viewer.user_id == obj.author_user_id or viewer.user_id in obj.recipient_user_ids:
        return True
    org = viewer.organization_id
    return org is not None and (
        org == obj.owner_organization_id or org in obj.recipient_organization_ids
    )


def may_forward(obj: Labelled) -> bool:
    """Whether a recipient may pass the object on beyond its own organisation."""
    return obj.tlp in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)
