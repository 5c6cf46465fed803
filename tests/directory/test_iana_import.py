"""`dnscc import iana-rootdb`: IANA's manager beside the operator inferred from the name
servers; idempotent, with a dry run; disagreements between the two snapshots reported; a
coordinator's link or merge kept by a re-import; a bad file refused with nothing written."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dnscc import cli
from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.core.errors import ValidationErrors
from dnscc.core.paths import default_iana_rootdb, default_root_zone
from dnscc.core.tlp import Role, Viewer
from dnscc.directory import services
from dnscc.directory.iana_import import import_iana_rootdb
from dnscc.directory.models import Organization, Tld
from dnscc.directory.rootzone_import import import_root_zone
from tests.conftest import World

pytestmark = pytest.mark.django_db

STAFF = Viewer(user_id=1, role=Role.COORDINATOR)
ACTOR = audit.Actor("coord")
HEADER = "Domain,Type,TLD Manager,RDAP URLs,DNSSEC,Search\n"


@pytest.fixture
def directory() -> None:
    import_root_zone(default_root_zone())


def _state() -> list[tuple[object, ...]]:
    return sorted(
        Tld.objects.values_list("name", "manager_id", "iana_type", "iana_manager", "operator_id")
    )


def test_ng_gets_its_real_manager_beside_its_inferred_operator(directory: None) -> None:
    report = import_iana_rootdb(default_iana_rootdb())
    ng = Tld.objects.select_related("manager", "operator").get(name="ng")
    assert ng.manager is not None
    assert ng.manager.name == "Nigeria Internet Registration Association"
    assert ng.manager.iana_name == ng.manager.name
    assert (ng.manager.country, ng.manager.region) == ("NG", "AF")
    assert ng.operator is not None
    assert ng.operator.inferred
    assert ng.operator != ng.manager
    assert (ng.iana_type, ng.iana_dnssec) == ("country-code", False)
    assert len(report.managers_created) == 749
    assert len(report.updated) == 1436
    assert AuditEvent.objects.filter(action="directory.import_iana_rootdb").count() == 1


def test_the_two_snapshots_disagreeing_is_reported_not_guessed(directory: None) -> None:
    report = import_iana_rootdb(default_iana_rootdb()).as_dict()["disagreements"]
    assert report["in_iana_not_in_root_zone"] == ["dunlop", "goo", "wolterskluwer"]
    assert report["in_root_zone_not_in_iana"] == ["merck", "web"]
    assert report["not_assigned_in_iana_but_delegated"] == []


def test_a_dry_run_writes_nothing_and_a_second_import_changes_nothing(directory: None) -> None:
    before = _state()
    orgs = Organization.objects.count()
    dry = import_iana_rootdb(default_iana_rootdb(), dry_run=True)
    assert _state() == before
    assert Organization.objects.count() == orgs
    real = import_iana_rootdb(default_iana_rootdb())
    assert dry.updated == real.updated
    assert dry.managers_created == real.managers_created
    after = _state()
    again = import_iana_rootdb(default_iana_rootdb())
    assert not again.changed
    assert again.unchanged == 1436
    assert _state() == after
    assert AuditEvent.objects.filter(action="directory.import_iana_rootdb").count() == 1


def test_a_merge_of_the_inferred_operator_into_the_manager_survives_a_reimport(
    directory: None,
) -> None:
    import_iana_rootdb(default_iana_rootdb())
    ng = Tld.objects.get(name="ng")
    manager, inferred = ng.manager, ng.operator
    assert manager is not None
    assert inferred is not None
    services.merge_organizations(STAFF, ACTOR, manager, [inferred])
    ng.refresh_from_db()
    assert ng.operator == manager == ng.manager

    # Renamed by a coordinator too: found again by its IANA name, nothing recreated.
    Organization.objects.filter(pk=manager.pk).update(name="NiRA")
    again = import_iana_rootdb(default_iana_rootdb())
    assert again.managers_created == []
    ng.refresh_from_db()
    assert (ng.manager_id, ng.operator_id) == (manager.pk, manager.pk)


def test_a_merged_away_manager_stays_merged(directory: None) -> None:
    import_iana_rootdb(default_iana_rootdb())
    ng_manager = Tld.objects.get(name="ng").manager
    ke_manager = Tld.objects.get(name="ke").manager
    assert ng_manager is not None
    assert ke_manager is not None
    services.merge_organizations(STAFF, ACTOR, ke_manager, [ng_manager])
    again = import_iana_rootdb(default_iana_rootdb())
    assert again.managers_created == []
    assert Tld.objects.get(name="ng").manager == ke_manager


def test_link_gives_a_managers_tlds_their_technical_operator(directory: None) -> None:
    import_iana_rootdb(default_iana_rootdb())
    abb = Tld.objects.get(name="abb")
    manager = abb.manager
    assert manager is not None
    back_end = Organization.objects.create(name="Back-end Registry Services", slug="backend")
    changed = services.link_manager(STAFF, ACTOR, manager, back_end)
    assert changed == ["abb"]
    abb.refresh_from_db()
    assert abb.operator == back_end
    assert AuditEvent.objects.filter(action="organization.link_manager").count() == 1
    assert not import_iana_rootdb(default_iana_rootdb()).changed
    assert Tld.objects.get(name="abb").operator == back_end


def test_a_tld_whose_manager_changed_at_iana_moves_and_the_report_says_so(world: World) -> None:
    first = HEADER + ".alpha,country-code,Alpha Registry Foundation,,Yes,Yes\n"
    import_iana_rootdb(first)
    second = HEADER + ".alpha,country-code,Alpha Domains Ltd,https://rdap.alpha/,Yes,Yes\n"
    report = import_iana_rootdb(second)
    assert report.manager_changed == {"alpha": ["Alpha Registry Foundation", "Alpha Domains Ltd"]}
    alpha = Tld.objects.select_related("manager").get(name="alpha")
    assert alpha.manager is not None
    assert alpha.manager.name == "Alpha Domains Ltd"
    assert alpha.rdap_urls == ["https://rdap.alpha/"]
    assert report.as_dict()["disagreements"]["in_root_zone_not_in_iana"] == ["bravo"]


def test_a_bad_file_is_refused_whole_and_nothing_is_written(world: World) -> None:
    before = (_state(), Organization.objects.count())
    text = HEADER + ".alpha,generic,Alpha,,Yes,Yes\n.bravo,vanity,Bravo,,Yes,Yes\n"
    with pytest.raises(ValidationErrors) as caught:
        import_iana_rootdb(text, name="db.csv")
    [error] = caught.value.errors
    assert (error.location.file, error.location.line, error.location.field) == ("db.csv", 3, "Type")
    assert (_state(), Organization.objects.count()) == before


def test_the_cli_imports_the_shipped_snapshot_by_default(directory: None) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["import", "iana-rootdb", "--json"])
    assert code == 0
    assert len(json.loads(out.getvalue())["managers_created"]) == 749


def test_the_api_imports_a_file_and_shows_the_manager_beside_the_operator(world: World) -> None:
    upload = SimpleUploadedFile("db.csv", (HEADER + ".alpha,generic,Alpha Inc,,Yes,Yes\n").encode())
    response = world.api("coordinator").post(
        "/api/v1/directory/import/iana-rootdb", {"file": upload}
    )
    assert response.status_code == 200
    assert response.json()["managers_created"] == ["Alpha Inc"]
    tld = world.api("coordinator").get("/api/v1/directory/tlds/alpha").json()
    assert tld["manager"] == "alpha-inc"
    assert tld["operator"] == world.org_a.slug
    assert tld["iana_type"] == "generic"
    page = world.client("coordinator").get("/directory/tlds/").content.decode()
    assert "Alpha Inc" in page
    bad = SimpleUploadedFile("db.csv", (HEADER + ".alpha,brand,X,,Yes,Yes\n").encode())
    response = world.api("coordinator").post("/api/v1/directory/import/iana-rootdb", {"file": bad})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Type"


def test_the_manager_page_lists_its_tlds_and_links_an_operator(world: World) -> None:
    import_iana_rootdb(HEADER + ".alpha,generic,Alpha Inc,,Yes,Yes\n")
    manager = Organization.objects.get(iana_name="Alpha Inc")
    client = world.client("coordinator")
    page = client.get(f"/directory/org/{manager.slug}/").content.decode()
    assert 'id="managed-tlds"' in page
    assert world.org_a.name in page
    response = client.post(f"/directory/org/{manager.slug}/link", {"operator": world.org_b.slug})
    assert response.status_code == 302
    assert Tld.objects.get(name="alpha").operator == world.org_b
