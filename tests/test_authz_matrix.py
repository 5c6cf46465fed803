"""The authorization matrix: every portal URL and every API operation against every role.

Each row names a method, a URL and the status every role must get. The completeness tests
walk Django's URL resolver and the OpenAPI schema, so an endpoint added without a row here
breaks the build. Denied roles must also never see the protected data in the body, and a
denied mutation must change nothing (rows and audit entries counted before and after).

Roles (tests/conftest.py): admin, coordinator (staff); operator (member of org_a); partner
(a CSIRT); outsider (operator of org_b); norole (an account without a role); anonymous.
"""

from __future__ import annotations

import importlib
import json
import random
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from dnscc.accounts.models import ApiToken, AuditEvent
from dnscc.api import api
from dnscc.directory import lookup
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.monitoring.models import Alert, Sweep
from tests.authz import (
    ALL_CONTACT_EMAILS,
    CONTACTS_CSV,
    IANA_CSV,
    ORG_A_LISTED,
    ORG_A_SECRETS,
    TINY_ZONE,
    Body,
    Row,
    _params,
    _upload,
    api_statuses,
    page_statuses,
    statuses,
)
from tests.conftest import ROLES, World


def _org_a_manages_alpha(world: World) -> dict[str, Any]:
    """.alpha's IANA manager is org_a, so org_a's link has TLDs to link."""
    Tld.objects.filter(pk=world.tld_a.pk).update(manager=world.org_a)
    return {}


API_ROWS = [
    Row("GET", "/api/v1/openapi.json", statuses(200)),  # the schema is public, no data
    Row("GET", "/api/v1/me", api_statuses(200, members=200)),
    Row("GET", "/api/v1/tokens", api_statuses(200, members=200)),
    Row(
        "POST",
        "/api/v1/tokens",
        api_statuses(201, members=201),
        body=lambda w: {"name": "matrix"},
        mutates=True,
    ),
    Row("DELETE", "/api/v1/tokens/{token_id}", api_statuses(200, members=200), mutates=True),
    Row("GET", "/api/v1/audit/events", api_statuses(200)),
    Row("GET", "/api/v1/audit/verify", api_statuses(200)),
    Row(
        "GET",
        "/api/v1/directory/organizations",
        api_statuses(200, members=200),
        secrets=ORG_A_LISTED,
        secret_for=("partner", "outsider"),
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations",
        api_statuses(201),
        body=lambda w: {"name": "Charlie Registry", "kind": "tld_registry", "region": "AF"},
        mutates=True,
    ),
    Row(
        "GET",
        "/api/v1/directory/organizations/{slug}",
        api_statuses(200, members=404, operator=200),
        secrets=ORG_A_SECRETS,
    ),
    Row(
        "PATCH",
        "/api/v1/directory/organizations/{slug}",
        api_statuses(200),
        body=lambda w: {"time_zone": "Africa/Nairobi"},
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations/{slug}/confirm",
        api_statuses(200),
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations/{slug}/vetting",
        api_statuses(200),
        body=lambda w: {"level": "vetted"},
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations/{slug}/merge",
        api_statuses(200),
        body=lambda w: {"sources": [w.org_b.slug]},
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations/{slug}/split",
        api_statuses(201),
        body=lambda w: {"tlds": ["alpha"], "name": "Alpha Split"},
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations/{slug}/contacts",
        api_statuses(201),
        body=lambda w: {"name": "New", "email": "new@alpha.example"},
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/contacts/{contact_id}/verify",
        api_statuses(200),
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "DELETE",
        "/api/v1/directory/contacts/{contact_id}",
        api_statuses(204),
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "GET",
        "/api/v1/directory/tlds",
        api_statuses(200, members=200),
        secrets=("alpha-registry",),
        secret_for=("partner", "outsider"),
    ),
    Row(
        "GET",
        "/api/v1/directory/tlds/{name}",
        api_statuses(200, members=200),
        secrets=("alpha-registry",),
        secret_for=("partner", "outsider"),
    ),
    Row(
        "GET",
        "/api/v1/directory/lookup?q=www.alpha",
        api_statuses(200, members=200),
        secrets=ORG_A_LISTED,
        secret_for=("partner", "outsider"),
    ),
    Row(
        "POST",
        "/api/v1/directory/import/rootzone",
        api_statuses(200),
        body=_upload("root.zone", TINY_ZONE),
        json_body=False,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/import/iana-rootdb",
        api_statuses(200),
        body=_upload("db.csv", IANA_CSV),
        json_body=False,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/organizations/{slug}/link",
        api_statuses(200),
        body=lambda w: {"operator": w.org_b.slug},
        secrets=ORG_A_SECRETS,
        setup=_org_a_manages_alpha,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/directory/import/contacts",
        api_statuses(200),
        body=_upload("contacts.csv", CONTACTS_CSV),
        json_body=False,
        mutates=True,
    ),
    Row(
        "GET",
        "/api/v1/directory/export/{what}?format=csv",
        api_statuses(200),
        secrets=ALL_CONTACT_EMAILS,
    ),
]


def _monitoring(world: World) -> dict[str, Any]:
    """One open finding on org_a's TLD and its alert, for the monitoring rows."""
    from django.utils import timezone

    from dnscc.monitoring.models import Alert, Finding

    now = timezone.now()
    finding = Finding.objects.create(
        zone="alpha",
        code="TEST01",
        severity="error",
        message="Alpha lame delegation",
        first_seen=now,
        last_seen=now,
    )
    alert = Alert.objects.create(
        finding=finding,
        organization=world.org_a,
        desk="AF",
        severity="error",
        title="Alpha lame delegation",
        opened_at=now,
    )
    return {"alert_id": alert.pk, "zone": "alpha"}


MONITORING_SECRETS = ("Alpha lame delegation",)

API_ROWS += [
    Row(
        "GET",
        "/api/v1/monitoring/findings",
        api_statuses(200),
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
    ),
    Row("GET", "/api/v1/monitoring/sweeps", api_statuses(200), setup=_monitoring),
    Row(
        "POST",
        "/api/v1/monitoring/sweeps",
        api_statuses(202),
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/monitoring/probe",
        api_statuses(200),
        body=lambda w: {"zone": "alpha", "ns": ["ns1.alpha/127.0.0.9"]},
        mutates=True,  # an audit entry: who probed what
    ),
    Row(
        "GET",
        "/api/v1/monitoring/alerts",
        api_statuses(200),
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
    ),
    Row(
        "POST",
        "/api/v1/monitoring/alerts/{alert_id}/acknowledge",
        api_statuses(200),
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
        mutates=True,
    ),
    Row(
        "GET",
        "/api/v1/monitoring/alert-groups",
        api_statuses(200),
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
    ),
    Row(
        "POST",
        "/api/v1/monitoring/alerts/acknowledge",
        api_statuses(200),
        body=lambda w: {"alerts": _alert_ids()},
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/incidents/from-alerts",
        api_statuses(201),
        body=lambda w: {"alerts": _alert_ids()},
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
        mutates=True,
    ),
]


def _alert_ids() -> list[int]:
    return list(Alert.objects.values_list("pk", flat=True))


# Outreach (notices, messages, advisories, the CSAF provider): the gates, with objects that
# do not exist. What each role sees of real messages and advisories is tested with them in
# tests/outreach/.
NO_KEY = {"key": "no-such-message", "tracking_id": "NO-SUCH-ADVISORY", "notice_id": 999999}


def _no_objects(world: World) -> dict[str, Any]:
    return NO_KEY


API_ROWS += [
    Row("GET", "/api/v1/outreach/messages", api_statuses(200, members=200)),
    Row(
        "GET", "/api/v1/outreach/messages/{key}", api_statuses(404, members=404), setup=_no_objects
    ),
    Row(
        "POST",
        "/api/v1/outreach/messages/{key}/ack",
        api_statuses(404, members=404),
        setup=_no_objects,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/outreach/messages/{key}/retry",
        api_statuses(404),
        setup=_no_objects,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/outreach/notices",
        api_statuses(422),
        body=lambda w: {"title": "t", "text": "x", "organizations": ["no-such-org"]},
        mutates=True,
    ),
    Row("GET", "/api/v1/outreach/notices/{notice_id}", api_statuses(404), setup=_no_objects),
    Row(
        "POST",
        "/api/v1/outreach/templates/preview",
        api_statuses(200),
        body=lambda w: {
            "kind": "notice",
            "context": {"title": "t", "text": "x", "tlp": "AMBER"},
        },
    ),
    Row("GET", "/api/v1/outreach/templates", api_statuses(200)),
    Row("GET", "/api/v1/outreach/advisories", api_statuses(200, members=200)),
    Row(
        "POST",
        "/api/v1/outreach/advisories",
        api_statuses(201),
        body=lambda w: {
            "title": "Matrix advisory",
            "tlp": "CLEAR",
            "summary": "s",
            "category": "csaf_informational_advisory",
        },
        mutates=True,
    ),
    Row(
        "GET",
        "/api/v1/outreach/advisories/{tracking_id}",
        api_statuses(404, members=404),
        setup=_no_objects,
    ),
    Row(
        "PATCH",
        "/api/v1/outreach/advisories/{tracking_id}",
        api_statuses(404),
        body=lambda w: {"title": "x"},
        setup=_no_objects,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/outreach/advisories/{tracking_id}/submit",
        api_statuses(404),
        setup=_no_objects,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/outreach/advisories/{tracking_id}/validate",
        api_statuses(404),
        setup=_no_objects,
    ),
    Row(
        "POST",
        "/api/v1/outreach/advisories/{tracking_id}/publish",
        api_statuses(404),
        setup=_no_objects,
        mutates=True,
    ),
    Row(
        "POST",
        "/api/v1/outreach/advisories/{tracking_id}/revise",
        api_statuses(404),
        setup=_no_objects,
        mutates=True,
    ),
]


def _action(action: str, body: Body | None = None, ok: int = 302) -> Row:
    return Row(
        "POST",
        "/directory/org/{slug_a}/" + action,
        page_statuses(ok),
        body=body,
        secrets=ORG_A_SECRETS,
        mutates=True,
    )


PAGE_ROWS = [
    Row("GET", "/", page_statuses(200, members=200)),
    Row("GET", "/healthz", statuses(200)),
    Row("GET", "/console/", page_statuses(200)),  # the duty console (htmx polls it)
    Row("GET", "/api/v1/", statuses(404)),  # nothing there: the docs are at /api/v1/docs
    Row("GET", "/api/v1/docs", statuses(200)),  # public like the schema: it holds no data
    Row("GET", "/login/", statuses(302, anonymous=200)),  # signed-in users are sent home
    Row("GET", "/logout/", statuses(405)),  # logging out is a POST
    Row("POST", "/logout/", statuses(302)),
    Row("GET", "/account/tokens/", page_statuses(200, members=200)),
    Row(
        "POST",
        "/account/tokens/",
        page_statuses(200, members=200),
        body=lambda w: {"name": "matrix"},
        mutates=True,
    ),
    Row("POST", "/account/tokens/{token_id}/revoke", page_statuses(302, members=302), mutates=True),
    # The second-factor step: without an authenticator there is nothing to give; go on.
    Row("GET", "/login/verify/", statuses(302)),
    Row("GET", "/account/security/", page_statuses(200, members=200)),
    Row("POST", "/account/security/", page_statuses(200, members=200)),
    # Passkeys: registering is the account's own; the login's passkey step needs a session
    # (401 without one), and answers 409 to an account that has no passkey.
    Row("POST", "/account/security/passkey/options", page_statuses(200, members=200)),
    Row("POST", "/account/security/passkey", page_statuses(400, members=400)),
    Row("POST", "/login/verify/passkey/options", statuses(409, anonymous=401)),
    Row("POST", "/login/verify/passkey", statuses(400, anonymous=401)),
    Row("GET", "/audit/", page_statuses(200), secrets=("user.create",)),
    Row("GET", "/directory/", page_statuses(200), secrets=ORG_A_LISTED),
    Row("GET", "/directory/mine/", page_statuses(404, members=302)),
    Row("GET", "/directory/tlds/", page_statuses(200), secrets=("alpha-registry",)),
    Row(
        "GET",
        "/directory/lookup/?q=www.alpha",
        page_statuses(200, members=200),
        secrets=ORG_A_LISTED,
        secret_for=("partner", "outsider"),
    ),
    Row("GET", "/directory/import/", page_statuses(200)),
    Row(
        "POST",
        "/directory/import/",
        page_statuses(200),
        body=lambda w: {
            "what": "contacts",
            "file": SimpleUploadedFile("contacts.csv", CONTACTS_CSV.encode()),
        },
        mutates=True,
    ),
    # The verification link is public: GET only asks, POST with a wrong token finds nothing.
    Row("GET", "/directory/verify/{contact_id}/not-the-token/", statuses(200)),
    Row("POST", "/directory/verify/{contact_id}/not-the-token/", statuses(404), mutates=True),
    Row(
        "GET",
        "/directory/org/{slug_a}/",
        page_statuses(200, members=404, operator=200),
        secrets=ORG_A_SECRETS,
    ),
    Row(
        "GET",
        "/directory/org/{slug_b}/",
        page_statuses(200, members=404, outsider=200),
        secrets=("Bravo Registry", "security@bravo.example"),
    ),
    Row("GET", "/directory/org/{slug_a}/confirm", statuses(405)),  # actions are POSTs
    _action("confirm"),
    _action("vet", lambda w: {"level": "vetted"}),
    _action("edit", lambda w: {"name": "Alpha Registry", "time_zone": "UTC"}),
    _action("merge", lambda w: {"source": w.org_b.slug}),
    _action("split", lambda w: {"tlds": "alpha", "name": "Alpha Split"}),
    _action("link", lambda w: {"operator": w.org_b.slug}),
    _action("add_contact", lambda w: {"name": "New", "email": "new@alpha.example"}),
    _action("verify_contact", lambda w: {"contact": w.contact_a.pk}),
    _action("delete_contact", lambda w: {"contact": w.contact_a.pk, "confirm": "yes"}),
    _action("no-such-action", ok=404),
    Row("GET", "/outreach/", page_statuses(200)),
    Row("GET", "/outreach/mine/", page_statuses(200, members=200)),
    Row("GET", "/outreach/notices/new/", page_statuses(200)),
    Row("GET", "/outreach/notices/{notice_id}/", page_statuses(404), setup=_no_objects),
    Row("GET", "/outreach/messages/{key}/", page_statuses(404, members=404), setup=_no_objects),
    Row(
        "POST",
        "/outreach/messages/{key}/ack",
        page_statuses(404, members=404),
        setup=_no_objects,
        mutates=True,
    ),
    Row("GET", "/outreach/ack/{key}/bad-signature/", statuses(404), setup=_no_objects),
    Row(
        "POST", "/outreach/ack/{key}/bad-signature/", statuses(404), setup=_no_objects, mutates=True
    ),
    Row("GET", "/outreach/templates/", page_statuses(200)),
    Row("GET", "/outreach/advisories/", page_statuses(200, members=200)),
    Row("GET", "/outreach/advisories/new/", page_statuses(200)),
    Row(
        "GET",
        "/outreach/advisories/{tracking_id}/",
        page_statuses(404, members=404),
        setup=_no_objects,
    ),
    Row(
        "POST",
        "/outreach/advisories/{tracking_id}/submit",
        page_statuses(404),
        setup=_no_objects,
        mutates=True,
    ),
    Row(
        "GET",
        "/outreach/advisories/{tracking_id}/edit/",
        page_statuses(404),
        setup=_no_objects,
    ),
    # The CSAF provider is public (CSAF 2.0 §7.1); TLP decides what each listing holds.
    Row("GET", "/.well-known/csaf/provider-metadata.json", statuses(200)),
    Row("GET", "/.well-known/csaf/openpgp/0000.asc", statuses(404)),
    Row("GET", "/.well-known/csaf/white/index.txt", statuses(200)),
    Row("GET", "/.well-known/csaf/amber/changes.csv", statuses(200)),
    Row("GET", "/.well-known/csaf/amber/2026/no-such-advisory.json", statuses(404)),
    Row("GET", "/health/", page_statuses(200), secrets=MONITORING_SECRETS, setup=_monitoring),
    Row(
        "GET",
        "/health/zone/{zone}/",
        page_statuses(200),
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
    ),
    Row(
        "GET", "/health/alerts/", page_statuses(200), secrets=MONITORING_SECRETS, setup=_monitoring
    ),
    Row(
        "POST",
        "/health/alerts/acknowledge",
        page_statuses(302),
        body=lambda w: {"ids": ",".join(map(str, _alert_ids()))},
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
        mutates=True,
    ),
    Row(
        "POST",
        "/health/alerts/{alert_id}/acknowledge",
        page_statuses(302),
        secrets=MONITORING_SECRETS,
        setup=_monitoring,
        mutates=True,
    ),
]

# Later apps keep their rows beside their tests.
ROW_MODULES = [
    importlib.import_module(name)
    for name in (
        "tests.incidents.authz_core",
        "tests.incidents.authz_reports",
        "tests.incidents.authz_desks",
        "tests.incidents.authz_pages",
        "tests.campaigns.authz_rows",
        "tests.rootinfo.authz_rows",
        "tests.sharing.authz_rows",
        "tests.risk.authz_rows",
        "tests.outreach.authz_rows",
        "tests.exercises.authz_rows",
        "tests.metrics.authz_rows",
    )
]
for _module in ROW_MODULES:
    API_ROWS += _module.API_ROWS
    PAGE_ROWS += _module.PAGE_ROWS

ROWS = API_ROWS + PAGE_ROWS


def _snapshot() -> dict[str, Any]:
    """What a refused request must leave as it was."""
    return {
        "audit": AuditEvent.objects.count(),
        "orgs": sorted(
            Organization.objects.values_list(
                "slug", "name", "time_zone", "vetting", "inferred", "confirmed_at"
            )
        ),
        "tlds": sorted(Tld.objects.values_list("name", "operator_id", "delegated")),
        "contacts": sorted(
            Contact.objects.values_list("pk", "organization_id", "email", "verification_digest")
        ),
        "tokens": sorted(ApiToken.objects.values_list("pk", "revoked_at")),
        "alerts": sorted(Alert.objects.values_list("pk", "state")),
        "sweeps": Sweep.objects.count(),
        **{m.__name__: m.snapshot() for m in ROW_MODULES if hasattr(m, "snapshot")},
    }


def _request(
    client: Client, row: Row, world: World, role: str, extra: dict[str, Any] | None = None
) -> Any:
    url = row.template.format(**_params(world, role, extra))
    method = getattr(client, row.method.lower())
    body = row.body(world) if row.body else None
    if body is None:
        return method(url)
    if row.is_api and row.json_body:
        return method(url, data=json.dumps(body), content_type="application/json")
    return method(url, data=body)


def _check(row: Row, role: str, response: Any, before: dict[str, Any]) -> None:
    expected = row.expected[role]
    assert response.status_code == expected, (
        f"{row.id} as {role}: {response.status_code}, expected {expected}: "
        f"{(b'' if response.streaming else response.content)[:300]!r}"
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content = body.decode(errors="replace")
    if expected >= 400 or (expected == 302 and role == "anonymous") or role in row.secret_for:
        for secret in row.secrets:
            assert secret not in content, f"{row.id} showed {secret!r} to {role}"
    public = row.template.startswith(("/log", "/healthz", "/.well-known/"))
    if role == "anonymous" and expected == 302 and not public:
        assert response["Location"].startswith("/login/"), response["Location"]
    if expected >= 400:
        assert "Traceback" not in content
        if row.mutates:
            assert _snapshot() == before, f"{row.id} as {role} changed something"
    if row.is_api and expected >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert "detail" in response.json()


def _no_probe(zone: str, **_: Any) -> Any:
    """A probe that sends nothing: what each role may ask is tested, not the DNS."""
    from dnscc.probe.model import ZoneReport

    return ZoneReport(zone.rstrip(".") + ".", ())


def _run_row(world: World, row: Row, roles: list[str], *, session: bool) -> None:
    """Each role in its own rolled-back savepoint: every role meets the same fresh world."""
    extra = row.setup(world) if row.setup else {}
    problems = []
    known_bug_hit = False
    # A sweep or a campaign verification would query the world's (unreachable) name servers:
    # only their queueing is tested here.
    with (
        mock.patch("dnscc.monitoring.tasks.sweep_task") as sweep_task,
        mock.patch("dnscc.campaigns.tasks.verify_campaign_task") as verify_task,
        mock.patch("dnscc.rootinfo.tasks.measure_task") as measure_task,
        mock.patch("dnscc.rootinfo.tasks.ingest_url_task") as fetch_task,
        mock.patch("dnscc.monitoring.runner.probe_now", _no_probe),
    ):
        enqueue = mock.Mock()
        sweep_task.enqueue = verify_task.enqueue = enqueue
        measure_task.enqueue = fetch_task.enqueue = enqueue
        enqueue.return_value.id = "stub"
        base: dict[str, Any] = {}
        for role in random.sample(roles, len(roles)):  # pytest-randomly seeds `random`
            lookup.invalidate()  # the in-memory index must not outlive a rolled-back change
            with transaction.atomic():
                # the client first: signing in is itself audited
                client = world.client(role) if session or not row.is_api else world.api(role)
                # Only a refusal is compared with it (_check). Every role starts from the same
                # state but for its own sign-in's audit entry: the rest is taken once a row.
                before = {}
                if row.mutates and row.expected[role] >= 400:
                    base = base or _snapshot()
                    before = {**base, "audit": AuditEvent.objects.count()}
                calls = enqueue.call_count
                try:
                    response = _request(client, row, world, role, extra)
                    if row.known_bug and row.expected[role] < 400:
                        known_bug_hit |= response.status_code == 500
                        if response.status_code == 500:
                            transaction.set_rollback(True)
                            continue
                    _check(row, role, response, before)
                    if row.expected[role] >= 400:
                        assert enqueue.call_count == calls, f"{row.id} as {role} queued work"
                except AssertionError as exc:
                    problems.append(f"{role}: {exc}")
                transaction.set_rollback(True)
    lookup.invalidate()
    assert not problems, "\n".join(problems)
    if row.known_bug:
        assert known_bug_hit, f"fixed? remove known_bug from {row.id}: {row.known_bug}"
        pytest.xfail(row.known_bug)


@pytest.mark.parametrize("row", [pytest.param(row, id=row.id) for row in ROWS])
def test_every_role_gets_its_status_and_no_more_data(world: World, row: Row) -> None:
    _run_row(world, row, list(ROLES), session=False)


@pytest.mark.parametrize(
    "row",
    [pytest.param(row, id=row.id) for row in API_ROWS if row.template != "/api/v1/openapi.json"],
)
def test_the_api_answers_the_same_to_a_session_as_to_a_token(world: World, row: Row) -> None:
    roles = [role for role in ROLES if role != "anonymous"]
    _run_row(world, row, roles, session=True)


# --- completeness: a route without a row breaks the build --------------------------------


def _portal_routes() -> set[str]:
    routes: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if getattr(p, "namespace", None) == "api":
                    continue
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                routes.add(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "")
    return routes


def _api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_portal_url_has_a_row_in_the_matrix(world: World) -> None:
    covered = set()
    for row in PAGE_ROWS:
        if row.template.startswith("/api/"):
            continue
        # A row's own setup gives its real URL parameters (each in a rolled-back savepoint,
        # so that rows creating the same objects do not collide).
        with transaction.atomic():
            extra = {"alert_id": 1, "zone": "alpha", **NO_KEY}
            extra.update(row.setup(world) if row.setup else {})
            path = row.template.format(**_params(world, "admin", extra)).split("?")[0]
            covered.add(resolve(path).route)
            transaction.set_rollback(True)
    missing = _portal_routes() - covered
    assert not missing, f"portal routes without a matrix row: {sorted(missing)}"


def test_every_api_operation_has_a_row_in_the_matrix() -> None:
    rows = {(row.method, row.template.split("?")[0]) for row in API_ROWS}
    missing = _api_operations() - rows
    assert not missing, f"API operations without a matrix row: {sorted(missing)}"
    assert len(_api_operations()) >= 20  # the walk itself works


def test_every_row_states_a_status_for_every_role() -> None:
    for row in ROWS:
        assert set(row.expected) == set(ROLES), row.id


# --- CSRF: enforced for the session, not for bearer tokens --------------------------------


def _csrf_client(world: World, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[role])
    return client


def test_a_session_post_to_the_api_without_a_csrf_token_is_refused(world: World) -> None:
    client = _csrf_client(world, "coordinator")
    before = Organization.objects.count()
    response = client.post(
        "/api/v1/directory/organizations",
        data=json.dumps({"name": "Charlie Registry"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Organization.objects.count() == before


def test_a_session_post_to_the_api_with_the_csrf_token_is_accepted(world: World) -> None:
    client = _csrf_client(world, "coordinator")
    client.get("/account/tokens/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/directory/organizations",
        data=json.dumps({"name": "Charlie Registry"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    assert Organization.objects.filter(name="Charlie Registry").exists()


def test_a_bearer_token_needs_no_csrf_token(world: World) -> None:
    client = Client(
        enforce_csrf_checks=True,
        headers={"Authorization": f"Bearer {world.tokens['coordinator']}"},
    )
    response = client.post(
        "/api/v1/directory/organizations",
        data=json.dumps({"name": "Charlie Registry"}),
        content_type="application/json",
    )
    assert response.status_code == 201


def test_a_portal_form_post_without_a_csrf_token_is_refused(world: World) -> None:
    client = _csrf_client(world, "coordinator")
    response = client.post(f"/directory/org/{world.org_a.slug}/vet", {"level": "trusted"})
    assert response.status_code == 403
    world.org_a.refresh_from_db()
    assert world.org_a.vetting == Organization.UNVETTED


# --- a few refusals that the table cannot express -----------------------------------------


def test_a_user_cannot_revoke_another_users_token(world: World) -> None:
    victim = ApiToken.objects.get(user=world.users["operator"])
    response = world.api("outsider").delete(f"/api/v1/tokens/{victim.pk}")
    assert response.status_code == 404
    victim.refresh_from_db()
    assert victim.revoked_at is None
    response = world.client("outsider").post(f"/account/tokens/{victim.pk}/revoke")
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.revoked_at is None


def test_a_bad_bearer_token_is_refused_even_with_a_session(world: World) -> None:
    client = Client(headers={"Authorization": "Bearer dnscc_nope_nope"})
    assert client.get("/api/v1/me").status_code == 401


def test_an_operator_cannot_see_another_organizations_contact_by_id(world: World) -> None:
    for role in ("operator", "outsider", "partner"):
        response = world.api(role).post(f"/api/v1/directory/contacts/{world.contact_b.pk}/verify")
        assert response.status_code == 403
        assert "bravo" not in response.content.decode()


def test_a_staff_member_may_not_be_shown_a_red_contact(world: World) -> None:
    Contact.objects.filter(pk=world.contact_a.pk).update(tlp="RED")
    response = world.api("coordinator").get(f"/api/v1/directory/organizations/{world.org_a.slug}")
    assert response.status_code == 200
    assert "security@alpha.example" not in response.content.decode()
    response = world.api("coordinator").post(
        f"/api/v1/directory/contacts/{world.contact_a.pk}/verify"
    )
    assert response.status_code == 404


def test_a_green_organization_is_visible_to_any_role_through_the_api(world: World) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(tlp="GREEN")
    response = world.api("outsider").get(f"/api/v1/directory/organizations/{world.org_a.slug}")
    assert response.status_code == 200
    # the contact stays AMBER: the organisation is visible, its contact is not
    assert "security@alpha.example" not in response.content.decode()
    assert (
        world.api("norole").get(f"/api/v1/directory/organizations/{world.org_a.slug}").status_code
        == 403
    )


def test_an_inactive_users_session_is_refused(world: World) -> None:
    client = world.client("coordinator")
    user = world.users["coordinator"]
    user.is_active = False
    user.save()
    assert client.get("/directory/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_a_malformed_api_body_is_a_422_without_a_traceback(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/directory/organizations", data="{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    assert "Traceback" not in response.content.decode()
    response = world.api("coordinator").post(
        "/api/v1/directory/organizations",
        data=json.dumps({"name": ["not", "text"]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert Organization.objects.count() == 3


@pytest.mark.parametrize("role", ["anonymous", "coordinator"])
def test_an_unknown_api_path_is_a_json_404(world: World, role: str) -> None:
    response = world.api(role).get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_an_unknown_portal_page_is_the_portals_404_page(world: World) -> None:
    response = world.client("operator").get("/no/such/page/")
    assert response.status_code == 404
    assert b"nothing you may see" in response.content
