"""Whom must we notify? Lookups by domain, TLD, IDN, IP address and the root, on the real
root zone, and filtered by what the viewer may see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dnscc.accounts import dbguard
from dnscc.accounts.models import AuditEvent, AuditHead
from dnscc.core.errors import InputError
from dnscc.core.paths import default_root_zone
from dnscc.core.tlp import ANONYMOUS, Role, Viewer
from dnscc.directory import lookup
from dnscc.directory.models import Organization, RootServer, RootZoneLoad, Tld
from dnscc.directory.rootzone_import import import_root_zone
from tests.conftest import World


@pytest.fixture(scope="module")
def _real_zone_committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The real root zone imported once for this module's read-only lookups (about 1 s);
    it is committed, so it is removed again when the module is done."""
    with django_db_blocker.unblock():
        import_root_zone(default_root_zone())
        yield
        RootServer.objects.all().delete()
        RootZoneLoad.objects.all().delete()
        Tld.objects.all().delete()
        Organization.objects.all().delete()
        with dbguard.lifted():  # the append-only log's triggers refuse row deletes
            AuditEvent.objects.all().delete()
            AuditHead.objects.all().delete()
    lookup.invalidate()


@pytest.fixture
def real_zone(_real_zone_committed: None, db: Any) -> None:
    lookup.invalidate()


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    lookup.invalidate()  # an index built inside a rolled-back test must not be reused
    yield
    lookup.invalidate()


def _slugs(result: lookup.LookupResult) -> list[str]:
    return [o.slug for o in result.organizations]


@pytest.mark.parametrize(
    "query", ["www.example.de", "WWW.Example.DE.", "example.de.", "de", ".de", "DE."]
)
def test_a_domain_or_tld_resolves_to_its_registry_whatever_the_case_and_dots(
    real_zone: None, query: str
) -> None:
    result = lookup.lookup(query)
    assert result.known
    assert result.tld == "de"
    assert _slugs(result) == [Tld.objects.get(name="de").operator.slug]
    assert result.kind == ("tld" if query.strip(".").lower() == "de" else "domain")


def test_an_idn_u_label_resolves_to_the_operator_of_its_a_label(real_zone: None) -> None:
    result = lookup.lookup("пример.РФ")
    assert result.normalized == "xn--e1afmkfd.xn--p1ai"
    assert result.tld == "xn--p1ai"
    assert _slugs(result) == [Tld.objects.get(name="xn--p1ai").operator.slug]


def test_the_ip_of_a_glue_address_names_the_tlds_it_serves(real_zone: None) -> None:
    de = Tld.objects.get(name="de")
    address = de.glue["a.nic.de"][0]
    result = lookup.lookup(address)
    assert result.kind == "ip"
    assert result.known
    assert "de" in result.name_server_of
    assert de.operator.slug in _slugs(result)
    v6 = de.glue["a.nic.de"][1]
    assert lookup.lookup(v6.upper()).normalized == v6


def test_a_name_server_host_lists_the_tlds_it_serves(real_zone: None) -> None:
    assert "de" in lookup.lookup("a.nic.de").name_server_of


def test_the_root_resolves_to_the_root_server_operators(real_zone: None) -> None:
    result = lookup.lookup(".")
    assert result.kind == "root"
    assert result.known
    names = {o.name for o in result.organizations}
    assert len(names) == 12  # Verisign runs a and j
    assert "Verisign, Inc." in names
    a_root = lookup.lookup("198.41.0.4")  # a.root-servers.net also serves .arpa
    assert Organization.objects.get(root_servers__letter="a").slug in _slugs(a_root)
    assert "arpa" in a_root.name_server_of


def test_an_unknown_tld_is_not_known(real_zone: None) -> None:
    result = lookup.lookup("www.example.notatld")
    assert not result.known
    assert result.organizations == ()
    assert not lookup.lookup("192.0.2.99").known


@pytest.mark.parametrize("query", ["", "   ", "exa mple.com", "a..b", "..de", "x" * 64 + ".de"])
def test_a_query_that_is_not_a_name_or_address_is_refused(real_zone: None, query: str) -> None:
    with pytest.raises(InputError):
        lookup.lookup(query)


def test_a_change_to_the_directory_is_seen_by_the_next_lookup(world: World) -> None:
    assert _slugs(lookup.lookup("alpha")) == ["alpha-registry"]
    Tld.objects.filter(name="alpha").update(operator=world.org_b)
    lookup.invalidate()  # update() sends no signal: the services invalidate themselves
    assert _slugs(lookup.lookup("alpha")) == ["bravo-registry"]
    world.tld_a.operator = world.org_a
    world.tld_a.save()  # save() does, through the signal
    assert _slugs(lookup.lookup("alpha")) == ["alpha-registry"]


def _viewer(world: World, role: str) -> Viewer:
    from dnscc.accounts.services import viewer_for

    return viewer_for(world.users[role])


def test_an_operator_sees_only_the_organizations_tlp_lets_it_see(world: World) -> None:
    own = lookup.lookup_for(_viewer(world, "operator"), "www.alpha")
    other = lookup.lookup_for(_viewer(world, "operator"), "www.bravo")
    assert _slugs(own) == ["alpha-registry"]
    assert other.known
    assert _slugs(other) == []
    assert _slugs(lookup.lookup_for(_viewer(world, "partner"), "www.alpha")) == []
    assert _slugs(lookup.lookup_for(_viewer(world, "coordinator"), "www.bravo")) == [
        "bravo-registry"
    ]
    assert _slugs(lookup.lookup_for(ANONYMOUS, "www.alpha")) == []


def test_a_green_organization_is_shown_to_every_role(world: World) -> None:
    world.org_b.tlp = "GREEN"
    world.org_b.save()
    assert _slugs(lookup.lookup_for(_viewer(world, "operator"), "bravo")) == ["bravo-registry"]
    assert _slugs(lookup.lookup_for(Viewer(), "bravo")) == []


def test_a_red_organization_is_hidden_from_staff_too(world: World) -> None:
    # the same rule as its page: staff get no implicit access to RED
    world.org_a.tlp = "RED"
    world.org_a.save()
    staff = Viewer(user_id=world.users["coordinator"].pk, role=Role.COORDINATOR)
    assert _slugs(lookup.lookup_for(staff, "alpha")) == []
    assert world.client("coordinator").get("/directory/org/alpha-registry/").status_code == 404
    assert _slugs(lookup.lookup_for(staff, "bravo")) == ["bravo-registry"]


def test_the_api_and_the_portal_answer_lookups(world: World) -> None:
    body = world.api("operator").get("/api/v1/directory/lookup", {"q": "WWW.ALPHA."}).json()
    assert body["normalized"] == "www.alpha"
    assert [o["slug"] for o in body["organizations"]] == ["alpha-registry"]
    response = world.api("operator").get("/api/v1/directory/lookup", {"q": "a..b"})
    assert response.status_code == 422
    page = world.client("operator").get("/directory/lookup/", {"q": "www.alpha a..b"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Alpha Registry" in content
    assert "a..b" in content
