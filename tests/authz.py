"""What the authorization matrix is made of: a Row per endpoint and the expected statuses
per role. tests/test_authz_matrix.py holds the rows of the directory, accounts, monitoring
and outreach, and collects those of later apps from their ROW_MODULES (each a module with
API_ROWS, PAGE_ROWS and optionally `snapshot()`, what a refused mutation must leave as it was).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dnscc.accounts.models import ApiToken
from tests.conftest import ROLES, World

STAFF = ("admin", "coordinator")
MEMBERS = ("operator", "partner", "outsider")
WITH_ROLE = (*STAFF, *MEMBERS)

# What belongs to org_a (AMBER): its name and contact address. Its slug is secret too where
# the caller did not send it (a 404 may echo the slug the caller asked for).
ORG_A_SECRETS = ("Alpha Registry", "security@alpha.example")
ORG_A_LISTED = (*ORG_A_SECRETS, "alpha-registry")
ALL_CONTACT_EMAILS = ("security@alpha.example", "security@bravo.example")

SOA = ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026010101 1800 900 604800 86400"
TINY_ZONE = (
    "\n".join(
        [
            SOA,
            "alpha. NS ns1.nic.alpha.",
            "ns1.nic.alpha. A 192.0.2.1",
            "bravo. NS ns1.nic.bravo.",  # both of the world's TLDs: no shrink to refuse
            "newtld. NS ns.example.net.",
        ]
    )
    + "\n"
)
CONTACTS_CSV = "organization,name,email\nalpha-registry,Alpha NOC,noc@alpha.example\n"
IANA_CSV = "Domain,Type,TLD Manager,RDAP URLs,DNSSEC,Search\n.alpha,generic,Alpha Inc,,Yes,Yes\n"


def statuses(default: int, **per_role: int) -> dict[str, int]:
    result = dict.fromkeys(ROLES, default)
    result.update(per_role)
    return result


def api_statuses(ok: int, *, members: int = 403, **per_role: int) -> dict[str, int]:
    """Staff get `ok`; members `members`; norole 403; anonymous 401."""
    result = {
        **dict.fromkeys(STAFF, ok),
        **dict.fromkeys(MEMBERS, members),
        "norole": 403,
        "anonymous": 401,
    }
    result.update(per_role)
    return result


def page_statuses(ok: int, *, members: int = 403, **per_role: int) -> dict[str, int]:
    """Staff get `ok`; members `members`; norole 403; anonymous a redirect to the login."""
    result = {
        **dict.fromkeys(STAFF, ok),
        **dict.fromkeys(MEMBERS, members),
        "norole": 403,
        "anonymous": 302,
    }
    result.update(per_role)
    return result


Body = Callable[[World], dict[str, Any]]
Setup = Callable[[World], dict[str, Any]]  # extra objects and the URL parameters they need


@dataclass(frozen=True)
class Row:
    method: str
    template: str  # API rows: the OpenAPI path; portal rows: a path with {placeholders}
    expected: dict[str, int]
    body: Body | None = None
    json_body: bool = True  # API bodies are JSON unless multipart (uploads)
    # Strings that must not appear in the body of a role that is refused, or that only
    # gets a filtered answer (see `secret_for`).
    secrets: tuple[str, ...] = ()
    secret_for: tuple[str, ...] = ()  # roles with a 2xx answer that must still not see `secrets`
    mutates: bool = False
    setup: Setup | None = None  # extra objects and URL params
    # A bug that makes the allowed roles fail (500) while the denials still hold: the allowed
    # roles are an expected failure naming it, and the test fails once the bug is fixed so
    # that this mark is removed (strict).
    known_bug: str = ""

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


_SHARED: Any = object()  # a row builder's own setup, unless a row names another (or None)


@dataclass(frozen=True)
class Rows:
    """Builds the rows of one app: the prefix of its URLs and the setup most of them share.

    `get` makes a read; `post`, `patch` and `delete` a mutation (checked to change nothing
    for a refused role). A body may be a dict (each request gets a copy) or a function of
    the world; `setup=` on a row overrides the shared one (None: no setup). Other keywords
    go to Row as they are.
    """

    prefix: str = ""
    setup: Setup | None = None

    def get(self, path: str, expected: dict[str, int], **options: Any) -> Row:
        return self._row("GET", path, expected, mutates=False, **options)

    def post(self, path: str, expected: dict[str, int], **options: Any) -> Row:
        return self._row("POST", path, expected, mutates=True, **options)

    def patch(self, path: str, expected: dict[str, int], **options: Any) -> Row:
        return self._row("PATCH", path, expected, mutates=True, **options)

    def delete(self, path: str, expected: dict[str, int], **options: Any) -> Row:
        return self._row("DELETE", path, expected, mutates=True, **options)

    def _row(
        self,
        method: str,
        path: str,
        expected: dict[str, int],
        *,
        body: dict[str, Any] | Body | None = None,
        setup: Setup | None = _SHARED,
        **options: Any,
    ) -> Row:
        if isinstance(body, dict):
            body = _constant(body)
        return Row(
            method,
            self.prefix + path,
            expected,
            body=body,
            setup=self.setup if setup is _SHARED else setup,
            **options,
        )


def _constant(body: dict[str, Any]) -> Body:
    # A fresh copy per request, as a lambda's literal would be: a view may change what it gets.
    return lambda world: copy.deepcopy(body)


def _params(world: World, role: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    own = world.users.get(role) or world.users["operator"]
    token = ApiToken.objects.filter(user=own).first()
    return {
        "slug": world.org_a.slug,
        "slug_a": world.org_a.slug,
        "slug_b": world.org_b.slug,
        "contact_id": world.contact_a.pk,
        "token_id": token.pk if token else 0,
        "name": world.tld_a.name,
        "what": "contacts",
        **(extra or {}),
    }


def _upload(name: str, text: str) -> Body:
    return lambda world: {"file": SimpleUploadedFile(name, text.encode())}
