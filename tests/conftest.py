"""Shared fixtures. The permission trio (healthchecks' habit) grown to every role:
admin, coordinator, operator (of org_a), partner (a CSIRT), an outsider operator (of org_b),
an account without a role, and anonymous."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from dnscc.accounts.services import create_token, create_user
from dnscc.directory.models import Contact, Organization, Tld

if TYPE_CHECKING:
    from tests.https_server import HttpsServer

pytest_plugins = ["dnscc.lab.pytest_plugin"]

PASSWORD = "correct horse battery staple"

ROLES = ("admin", "coordinator", "operator", "partner", "outsider", "norole", "anonymous")


@dataclass
class World:
    org_a: Organization
    org_b: Organization
    csirt: Organization
    tld_a: Tld
    tld_b: Tld
    contact_a: Contact
    contact_b: Contact
    users: dict[str, Any]
    tokens: dict[str, str]

    def client(self, role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(self.users[role])
        return client

    def api(self, role: str) -> Client:
        """A client that authenticates with the role's API token (no session)."""
        if role == "anonymous":
            return Client()
        return Client(headers={"Authorization": f"Bearer {self.tokens[role]}"})


def make_world() -> World:
    org_a = Organization.objects.create(
        name="Alpha Registry",
        slug="alpha-registry",
        kind=Organization.TLD_REGISTRY,
        region="AF",
        country="KE",
    )
    org_b = Organization.objects.create(
        name="Bravo Registry",
        slug="bravo-registry",
        kind=Organization.TLD_REGISTRY,
        region="EU",
        country="FR",
    )
    csirt = Organization.objects.create(
        name="Example CERT", slug="example-cert", kind=Organization.CSIRT, region="AF"
    )
    tld_a = Tld.objects.create(
        name="alpha",
        kind=Tld.GTLD,
        operator=org_a,
        ns=["ns1.nic.alpha"],
        glue={"ns1.nic.alpha": ["192.0.2.1"]},
    )
    tld_b = Tld.objects.create(
        name="bravo",
        kind=Tld.GTLD,
        operator=org_b,
        ns=["ns1.nic.bravo"],
        glue={"ns1.nic.bravo": ["192.0.2.2"]},
    )
    contact_a = Contact.objects.create(
        organization=org_a, name="Alpha security", email="security@alpha.example"
    )
    contact_b = Contact.objects.create(
        organization=org_b, name="Bravo security", email="security@bravo.example"
    )
    users = {
        "admin": create_user("admin1", role="admin", password=PASSWORD),
        "coordinator": create_user("coord1", role="coordinator", password=PASSWORD, desks=["AF"]),
        "operator": create_user("op_a", role="operator", password=PASSWORD, organization=org_a),
        "partner": create_user("partner1", role="partner", password=PASSWORD, organization=csirt),
        "outsider": create_user("op_b", role="operator", password=PASSWORD, organization=org_b),
    }
    from django.contrib.auth import get_user_model

    users["norole"] = get_user_model().objects.create_user("norole", password=PASSWORD)
    tokens = {role: create_token(user, "test")[1] for role, user in users.items()}
    return World(org_a, org_b, csirt, tld_a, tld_b, contact_a, contact_b, users, tokens)


@pytest.fixture
def world(db: Any) -> World:
    from dnscc.directory import lookup

    lookup.invalidate()
    return make_world()


@pytest.fixture(scope="module")
def https_server() -> Iterator[HttpsServer]:
    """A loopback HTTPS server with its own authority (tests/https_server.py), one a module."""
    from tests.https_server import https_server as serving

    with serving() as server:
        yield server
