"""Importing the real root zone into the directory: counts, idempotence, dry run, what a
re-import must keep, and malformed zones refused with file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.core.errors import ValidationErrors
from dnscc.core.paths import default_root_zone
from dnscc.core.tlp import Role, Viewer
from dnscc.directory import services
from dnscc.directory.models import Organization, RootServer, Tld
from dnscc.directory.rootzone_import import import_root_zone
from tests.conftest import World

pytestmark = pytest.mark.django_db

STAFF = Viewer(user_id=1, role=Role.COORDINATOR)
ACTOR = audit.Actor("coord")
SOA = ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026010101 1800 900 604800 86400"


def _state() -> dict[str, object]:
    return {
        "tlds": sorted(Tld.objects.values_list("name", "operator_id", "delegated", "ns", "ds")),
        "orgs": sorted(Organization.objects.values_list("slug", "name", "inferred")),
        "root": sorted(RootServer.objects.values_list("letter", "operator_id")),
        "audit": AuditEvent.objects.count(),
    }


def _zone_without(tmp_path: Path, *tlds: str) -> Path:
    """The real zone with every record owned by the given TLDs left out, and its NSEC chain
    mended around them, as the zone looks when IANA removes a TLD."""
    owners = {f"{t}." for t in tlds}
    lines = default_root_zone().read_text(encoding="utf-8").splitlines()
    following = {}
    for line in lines:
        fields = line.split()
        if len(fields) >= 5 and fields[3] == "NSEC":
            following[fields[0]] = fields[4]

    def mend(match: re.Match[str]) -> str:
        name = match.group(2)
        while name in owners:
            name = following[name]
        return match.group(1) + name

    kept = [
        re.sub(r"(\sNSEC\s+)(\S+)", mend, line, count=1)
        for line in lines
        if not line.split(maxsplit=1)[:1] or line.split(maxsplit=1)[0] not in owners
    ]
    path = tmp_path / "root.zone"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def test_the_real_zone_imports_1438_tlds_and_13_root_servers() -> None:
    report = import_root_zone(default_root_zone())
    assert report.tlds_in_zone == 1438
    assert len(report.created) == 1438
    assert report.root_servers == 13
    assert report.assigned == 1438
    assert Tld.objects.filter(delegated=True).count() == 1438
    assert not Tld.objects.filter(operator__isnull=True).exists()
    assert RootServer.objects.count() == 13
    assert Organization.objects.filter(inferred=True).count() == len(report.organizations_created)
    assert AuditEvent.objects.filter(action="directory.import_root_zone").count() == 1
    assert report.warnings == []


def test_a_dry_run_writes_nothing_and_reports_what_the_real_run_does() -> None:
    before = _state()
    dry = import_root_zone(default_root_zone(), dry_run=True)
    assert _state() == before
    real = import_root_zone(default_root_zone())
    for key in ("created", "updated", "undelegated", "unchanged", "tlds_assigned_to_operators"):
        assert dry.as_dict()[key] == real.as_dict()[key], key
    assert dry.organizations_created == real.organizations_created
    assert dry.dry_run
    assert not real.dry_run


def test_a_second_import_changes_nothing() -> None:
    import_root_zone(default_root_zone())
    before = _state()
    again = import_root_zone(default_root_zone())
    assert not again.changed
    assert (again.created, again.updated, again.undelegated) == ([], {}, [])
    assert again.unchanged == 1438
    assert again.organizations_created == []
    assert _state() == before  # no audit entry either: nothing happened


def test_a_tld_gone_from_the_zone_is_undelegated_not_deleted(tmp_path: Path) -> None:
    import_root_zone(default_root_zone())
    operator = Tld.objects.get(name="de").operator_id
    report = import_root_zone(_zone_without(tmp_path, "de"))
    assert report.undelegated == ["de"]
    de = Tld.objects.get(name="de")
    assert not de.delegated
    assert de.operator_id == operator
    # and it comes back when the zone has it again
    report = import_root_zone(default_root_zone())
    assert report.updated == {"de": ["delegated"]}
    assert Tld.objects.get(name="de").delegated


def test_coordinator_decisions_survive_a_reimport() -> None:
    import_root_zone(default_root_zone())
    uk_org = Tld.objects.get(name="uk").operator
    # split .uk off its inferred group, confirm the rest, merge .de's registry into .ch's
    split = services.split_organization(STAFF, ACTOR, uk_org, ["uk"], "Nominet")
    services.confirm_organization(STAFF, ACTOR, uk_org, None)
    de_org = Tld.objects.get(name="de").operator
    ch_org = Tld.objects.get(name="ch").operator
    assert de_org != ch_org
    services.merge_organizations(STAFF, ACTOR, ch_org, [de_org])
    before = _state()

    report = import_root_zone(default_root_zone())

    assert not report.changed
    assert _state() == before
    assert Tld.objects.get(name="uk").operator == split
    assert Tld.objects.get(name="de").operator == ch_org
    uk_org.refresh_from_db()
    assert not uk_org.inferred
    assert not Organization.objects.filter(pk=de_org.pk).exists()


def test_a_new_tld_joins_the_organization_that_holds_its_group(tmp_path: Path) -> None:
    import_root_zone(_zone_without(tmp_path, "xn--p1ai"))
    assert not Tld.objects.filter(name="xn--p1ai").exists()
    ripn = Tld.objects.get(name="ru").operator
    services.confirm_organization(STAFF, ACTOR, ripn, None)
    report = import_root_zone(default_root_zone())
    assert report.created == ["xn--p1ai"]
    assert report.organizations_created == []
    assert Tld.objects.get(name="xn--p1ai").operator == ripn


def _upload(world: World, text: str, name: str = "bad.zone", **extra: object) -> object:
    return world.api("coordinator").post(
        "/api/v1/directory/import/rootzone",
        {"file": SimpleUploadedFile(name, text.encode()), **extra},
    )


def test_a_malformed_zone_upload_is_refused_with_file_line_and_field(world: World) -> None:
    before = _state()
    text = "\n".join([SOA, "t. NS ns.t.", "ns.t. A 192.0.2.300", "t. 12x IN NS ns2.t."]) + "\n"
    response = _upload(world, text)
    assert response.status_code == 422
    body = response.json()
    assert "Traceback" not in response.content.decode()
    assert {(e["file"], e["line"], e["field"]) for e in body["errors"]} == {
        ("bad.zone", 3, "rdata"),
        ("bad.zone", 4, "ttl"),
    }
    assert _state() == before


def test_a_file_that_is_not_a_root_zone_is_refused(world: World) -> None:
    response = _upload(world, "example. NS ns.example.\n", name="notroot.txt")
    assert response.status_code == 422
    assert response.json()["errors"][0]["file"] == "notroot.txt"


def test_a_zone_that_is_not_utf8_is_refused(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/directory/import/rootzone",
        {"file": SimpleUploadedFile("latin1.zone", b"t. NS n\xe9.t.\n")},
    )
    assert response.status_code == 422
    assert "not UTF-8" in response.json()["detail"]


def test_a_small_valid_zone_imports_through_the_api_and_a_dry_run_does_not(
    world: World,
) -> None:
    zone = "\n".join([SOA, "newtld. NS ns.example.net."]) + "\n"
    response = _upload(world, zone, name="mini.zone", dry_run="true", allow_shrink="true")
    assert response.status_code == 200
    assert response.json()["created"] == ["newtld"]
    assert response.json()["dry_run"] is True
    assert not Tld.objects.filter(name="newtld").exists()
    response = _upload(world, zone, name="mini.zone")
    # Both of the world's TLDs would go: refused as a shrink, unless allowed.
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "delegations"
    assert not Tld.objects.filter(name="newtld").exists()
    response = _upload(world, zone, name="mini.zone", allow_shrink="true")
    assert response.status_code == 200
    assert Tld.objects.filter(name="newtld", delegated=True).exists()
    # the world's own TLDs were not in this zone: undelegated, kept, with their operator
    assert sorted(response.json()["undelegated"]) == ["alpha", "bravo"]
    assert Tld.objects.get(name="alpha").operator == world.org_a


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_a_zone_over_the_size_limit_is_refused(world: World) -> None:
    response = _upload(world, SOA + "\n" + "; padding\n" * 200, name="big.zone")
    assert response.status_code == 422
    assert "over the limit of 1024" in response.json()["detail"]
    assert response.json()["errors"][0]["file"] == "big.zone"


def test_the_portal_import_page_shows_zone_errors_without_a_traceback(world: World) -> None:
    response = world.client("coordinator").post(
        "/directory/import/",
        {"what": "rootzone", "file": SimpleUploadedFile("bad.zone", b"hello world\n")},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Traceback" not in content
    assert "bad.zone" in content


def test_a_malformed_zone_raises_validation_errors_for_every_bad_line() -> None:
    with pytest.raises(ValidationErrors) as caught:
        import_root_zone(SOA + "\nbad line here\nalso bad\n", name="x.zone")
    assert [e.location.line for e in caught.value.errors] == [2, 3]
    assert Tld.objects.count() == 0
