"""The one visibility rule, case by case: every label against every kind of viewer."""

from __future__ import annotations

import pytest

from dnscc.core.errors import InputError
from dnscc.core.tlp import ANONYMOUS, TLP, Labelled, Role, Viewer, can_see, may_forward

OWNER_ORG, RECIPIENT_ORG, OTHER_ORG = 10, 20, 30
AUTHOR, RECIPIENT_USER = 1, 2

VIEWERS = {
    "anonymous": ANONYMOUS,
    "no role": Viewer(user_id=9),
    "admin": Viewer(user_id=3, role=Role.ADMIN),
    "coordinator": Viewer(user_id=4, role=Role.COORDINATOR),
    "owner operator": Viewer(user_id=5, role=Role.OPERATOR, organization_id=OWNER_ORG),
    "recipient org partner": Viewer(user_id=6, role=Role.PARTNER, organization_id=RECIPIENT_ORG),
    "other operator": Viewer(user_id=7, role=Role.OPERATOR, organization_id=OTHER_ORG),
    "partner without org": Viewer(user_id=8, role=Role.PARTNER),
    "author": Viewer(user_id=AUTHOR, role=Role.OPERATOR, organization_id=OTHER_ORG),
    "recipient user": Viewer(user_id=RECIPIENT_USER, role=Role.PARTNER, organization_id=OTHER_ORG),
}

# label -> viewers who may see an object owned by OWNER_ORG, written by AUTHOR, shared with
# RECIPIENT_ORG and RECIPIENT_USER. Everyone else must not.
COMMUNITY = set(VIEWERS) - {"anonymous", "no role"}
AMBER_AUDIENCE = {
    "admin",
    "coordinator",
    "owner operator",
    "recipient org partner",
    "author",
    "recipient user",
}
ALLOWED = {
    TLP.CLEAR: set(VIEWERS),
    TLP.GREEN: COMMUNITY,
    TLP.AMBER: AMBER_AUDIENCE,
    TLP.AMBER_STRICT: AMBER_AUDIENCE,
    TLP.RED: {"author", "recipient user"},
}


def _object(label: TLP) -> Labelled:
    return Labelled(
        tlp=label,
        owner_organization_id=OWNER_ORG,
        author_user_id=AUTHOR,
        recipient_organization_ids=frozenset({RECIPIENT_ORG}),
        recipient_user_ids=frozenset({RECIPIENT_USER}),
    )


@pytest.mark.parametrize("label", list(TLP))
@pytest.mark.parametrize("who", list(VIEWERS))
def test_can_see_follows_the_table_for_every_label_and_viewer(label: TLP, who: str) -> None:
    assert can_see(VIEWERS[who], _object(label)) is (who in ALLOWED[label])


def test_every_label_is_in_the_table() -> None:
    assert set(ALLOWED) == set(TLP)


def test_staff_get_no_implicit_access_to_red() -> None:
    red = Labelled(tlp=TLP.RED, owner_organization_id=OWNER_ORG)
    assert not can_see(VIEWERS["admin"], red)
    assert not can_see(VIEWERS["coordinator"], red)
    assert not can_see(VIEWERS["owner operator"], red)


def test_an_anonymous_visitor_never_sees_green() -> None:
    assert not can_see(ANONYMOUS, Labelled(tlp=TLP.GREEN))
    assert can_see(ANONYMOUS, Labelled(tlp=TLP.CLEAR))


def test_a_role_without_a_user_is_treated_as_anonymous() -> None:
    assert not can_see(Viewer(role=Role.ADMIN), Labelled(tlp=TLP.GREEN))


def test_a_viewer_without_an_organization_does_not_match_an_unowned_object() -> None:
    unowned = Labelled(tlp=TLP.AMBER)
    assert not can_see(VIEWERS["partner without org"], unowned)
    assert can_see(VIEWERS["coordinator"], unowned)


@pytest.mark.parametrize(
    ("label", "forward"),
    [
        (TLP.CLEAR, True),
        (TLP.GREEN, True),
        (TLP.AMBER, True),
        (TLP.AMBER_STRICT, False),
        (TLP.RED, False),
    ],
)
def test_may_forward_refuses_amber_strict_and_red(label: TLP, forward: bool) -> None:
    assert may_forward(Labelled(tlp=label)) is forward


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("tlp:amber+strict", TLP.AMBER_STRICT),
        ("TLP:AMBER+STRICT", TLP.AMBER_STRICT),
        ("AMBER_STRICT", TLP.AMBER_STRICT),
        ("WHITE", TLP.CLEAR),
        ("tlp:white", TLP.CLEAR),
        (" green ", TLP.GREEN),
        ("Red", TLP.RED),
        ("CLEAR", TLP.CLEAR),
    ],
)
def test_parse_accepts_the_spellings_people_use(text: str, label: TLP) -> None:
    assert TLP.parse(text) is label


@pytest.mark.parametrize("text", ["", "amber strict", "PURPLE", "TLP:", "TLP:AMBER+", "RED!"])
def test_parse_refuses_a_bad_label_naming_the_field(text: str) -> None:
    with pytest.raises(InputError) as caught:
        TLP.parse(text, field="label")
    assert caught.value.location.field == "label"
    assert "not a TLP 2.0 label" in caught.value.problem
    assert caught.value.hint


def test_a_label_is_written_with_its_prefix_and_ranks_in_order() -> None:
    assert TLP.AMBER_STRICT.label == "TLP:AMBER+STRICT"
    assert [t.rank for t in TLP] == [0, 1, 2, 3, 4]
    assert ("AMBER+STRICT", "TLP:AMBER+STRICT") in TLP.choices()


def test_only_admins_and_coordinators_are_staff() -> None:
    assert {r for r in Role if r.is_staff} == {Role.ADMIN, Role.COORDINATOR}
