"""Contact import from CSV and JSON: valid rows in, bad rows reported with file, line and
field, nothing half-written, a dry run that writes nothing, and an export that re-imports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.core.errors import InputError
from dnscc.core.tlp import Role, Viewer
from dnscc.directory import export
from dnscc.directory.contacts_import import import_contacts
from dnscc.directory.models import Contact, Organization
from tests.conftest import World

KEYS = Path(__file__).parents[1] / "core" / "fixtures" / "openpgp"
ED25519 = (KEYS / "ed25519-expires-2030.asc").read_text(encoding="utf-8")
ED25519_FPR = "ED9B81013E467D587DCC3566032E44F6FB1B4222"
STAFF = Viewer(user_id=1, role=Role.COORDINATOR)

HEADER = "organization,tld,organization_name,country,name,email,webhook_url,pgp_key,tlp\n"


def _state() -> dict[str, Any]:
    return {
        "contacts": sorted(
            Contact.objects.values_list(
                "organization__slug", "name", "email", "webhook_url", "tlp", "pgp_fingerprint"
            )
        ),
        "orgs": sorted(Organization.objects.values_list("slug", "name", "country")),
        "audit": AuditEvent.objects.count(),
    }


def _errors(report: Any) -> list[tuple[str | None, int | None, str | None]]:
    return [(e.location.file, e.location.line, e.location.field) for e in report.errors]


def _csv(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


GOOD_AND_BAD_CSV = _csv(
    "alpha-registry,,,,Alpha NOC,noc@alpha.example,,,",  # 2 valid
    "alpha-registry,,,,Bad mail,not-an-email,,,",  # 3 email
    "alpha-registry,,,,Bad hook,,ftp://alpha.example/hook,,",  # 4 webhook_url
    ",bravo,,XX,Bravo NOC,noc@bravo.example,,,",  # 5 country
    "alpha-registry,,,,Bad key,key@alpha.example,,not a key,",  # 6 pgp_key
    "charlie,,Alpha Registry,,Dup,dup@charlie.example,,,",  # 7 organization_name
    ",nosuchtld,,,Nobody,x@nosuch.example,,,",  # 8 tld
    "alpha-registry,,,,Bad label,lbl@alpha.example,,,PURPLE",  # 9 tlp
    "delta,,Delta Registry,DE,Delta NOC,noc@delta.example,https://delta.example/hook,,GREEN",
)


def test_valid_rows_are_imported_and_bad_ones_reported_with_file_line_and_field(
    world: World,
) -> None:
    report = import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    assert report.records == 9
    assert sorted(_errors(report)) == [
        ("contacts.csv", 3, "email"),
        ("contacts.csv", 4, "webhook_url"),
        ("contacts.csv", 5, "country"),
        ("contacts.csv", 6, "pgp_key"),
        ("contacts.csv", 7, "organization_name"),
        ("contacts.csv", 8, "tld"),
        ("contacts.csv", 9, "tlp"),
    ]
    assert sorted(report.created) == [
        "alpha-registry: noc@alpha.example",
        "delta: noc@delta.example",
    ]
    assert report.organizations_created == ["delta"]
    delta = Organization.objects.get(slug="delta")
    assert (delta.name, delta.country) == ("Delta Registry", "DE")
    assert delta.contacts.get().tlp == "GREEN"
    # bad rows left nothing behind, not even the organisation of row 7
    assert not Organization.objects.filter(slug="charlie").exists()
    assert not Contact.objects.filter(email__in=["dup@charlie.example", "key@alpha.example"])
    assert AuditEvent.objects.filter(action="directory.import_contacts").count() == 1
    for error in report.errors:
        assert str(error).startswith("contacts.csv, line ")


def test_an_error_message_says_what_is_wrong(world: World) -> None:
    report = import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    by_field = {e.location.field: e.problem for e in report.errors}
    assert "'not-an-email' is not a valid email address" in by_field["email"]
    assert "is not an http(s) URL" in by_field["webhook_url"]  # core.weburl's one wording
    assert "duplicate organization" in by_field["organization_name"]
    assert "no TLD .nosuchtld" in by_field["tld"]
    assert "not a TLP 2.0 label" in by_field["tlp"]


def test_importing_the_same_file_twice_changes_nothing(world: World) -> None:
    import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    before = _state()
    again = import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    assert (again.created, again.updated, again.organizations_created) == ([], [], [])
    assert again.unchanged == 2
    assert _state() == before


def test_a_dry_run_writes_nothing_and_reports_the_same_diff(world: World) -> None:
    before = _state()
    dry = import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv", dry_run=True)
    assert _state() == before
    real = import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    dry_dict, real_dict = dry.as_dict(), real.as_dict()
    assert dry_dict.pop("dry_run") is True
    assert real_dict.pop("dry_run") is False
    assert dry_dict == real_dict


def test_a_changed_row_updates_the_existing_contact_instead_of_adding_one(world: World) -> None:
    text = _csv("alpha-registry,,,,Alpha security team,security@alpha.example,,,GREEN")
    report = import_contacts(text, source="c.csv")
    assert report.updated == ["alpha-registry: security@alpha.example"]
    assert world.org_a.contacts.count() == 1
    contact = world.org_a.contacts.get()
    assert (contact.name, contact.tlp) == ("Alpha security team", "GREEN")


def test_a_valid_openpgp_key_is_stored_with_its_fingerprint(world: World) -> None:
    rows = [
        {
            "organization": "alpha-registry",
            "name": "Alpha CERT",
            "email": "cert@alpha.example",
            "pgp_key": ED25519,
        }
    ]
    report = import_contacts(json.dumps(rows, indent=2), source="keys.json")
    assert report.ok, report.errors
    contact = Contact.objects.get(email="cert@alpha.example")
    assert contact.pgp_fingerprint == ED25519_FPR
    assert contact.pgp_algorithm == "EdDSA"
    assert contact.pgp_expires is not None
    assert contact.pgp_expires.year == 2030
    assert contact.pgp_user_ids == ["Ed Operator <ed@example.net>"]


def _key_row(name: str) -> str:
    return json.dumps(
        [
            {
                "organization": "alpha-registry",
                "name": "Old key",
                "email": "old@alpha.example",
                "pgp_key": (KEYS / name).read_text(encoding="utf-8"),
            }
        ]
    )


def test_a_revoked_key_is_refused(world: World) -> None:
    report = import_contacts(_key_row("ed25519-revoked.asc"), source="keys.json")
    assert _errors(report) == [("keys.json", 1, "pgp_key")]
    assert "revoked" in report.errors[0].problem
    assert not Contact.objects.filter(email="old@alpha.example").exists()


def test_an_expired_key_is_kept_with_its_expiry_for_the_coordinator_to_see(
    world: World,
) -> None:
    # Expiry can be extended by the key's owner; the center records what the key says.
    report = import_contacts(_key_row("ed25519-expired-2021.asc"), source="keys.json")
    assert report.ok
    contact = Contact.objects.get(email="old@alpha.example")
    assert contact.pgp_expires is not None
    assert contact.pgp_expires.year == 2021


def test_json_records_are_reported_by_the_line_where_they_start(world: World) -> None:
    text = (
        '{"contacts": [\n'
        '  {"organization": "alpha-registry", "name": "A", "email": "a@alpha.example"},\n'
        "  {\n"
        '    "organization": "alpha-registry",\n'
        '    "name": "B",\n'
        '    "email": "broken"\n'
        "  },\n"
        '  {"organization": "alpha-registry", "name": "C", "email": "c@alpha.example",\n'
        '   "colour": "blue"},\n'
        '  {"tld": ".BRAVO", "name": "D", "webhook_url": "https://bravo.example/d"},\n'
        '  "not an object"\n'
        "]}\n"
    )
    report = import_contacts(text, source="contacts.json")
    assert _errors(report) == [
        ("contacts.json", 3, "email"),
        ("contacts.json", 8, "colour"),
        ("contacts.json", 11, ""),
    ]
    assert sorted(report.created) == [
        "alpha-registry: a@alpha.example",
        "bravo-registry: https://bravo.example/d",
    ]


def test_an_unknown_csv_column_refuses_the_file_naming_the_column(world: World) -> None:
    before = _state()
    with pytest.raises(InputError) as caught:
        import_contacts(
            "organization,name,emial\nalpha-registry,X,x@alpha.example\n", source="typo.csv"
        )
    assert (caught.value.location.file, caught.value.location.line) == ("typo.csv", 1)
    assert caught.value.location.field == "emial"
    assert _state() == before


def test_a_csv_row_with_too_many_values_is_reported(world: World) -> None:
    report = import_contacts(
        "organization,name,email\nalpha-registry,X,x@alpha.example,extra\n", source="c.csv"
    )
    assert _errors(report) == [("c.csv", 2, "")]


@pytest.mark.parametrize(
    ("text", "line"),
    [("", 1), ("{not json", 1), ('{"rows": []}', 1), ('[\n  {"a": 1},\n  oops\n]', 3)],
)
def test_a_malformed_file_is_refused_whole(world: World, text: str, line: int) -> None:
    before = _state()
    with pytest.raises(InputError) as caught:
        import_contacts(text, source="in.json" if text else "in.csv")
    assert caught.value.location.line == line
    assert caught.value.location.file in ("in.json", "in.csv")
    assert _state() == before


def test_a_slug_for_another_operator_of_the_tld_is_refused(world: World) -> None:
    report = import_contacts(_csv("bravo-registry,alpha,,,X,x@alpha.example,,,"), source="c.csv")
    assert _errors(report) == [("c.csv", 2, "organization")]


def test_a_crash_in_the_middle_leaves_nothing_half_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state()

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", explode)
    with pytest.raises(RuntimeError):
        import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    monkeypatch.undo()
    assert _state() == before


# --- export and round trip ---------------------------------------------------------------


def _export(fmt: str) -> str:
    return export.export("contacts", fmt, STAFF, audit.Actor("coord"))


def test_an_exported_csv_reimports_without_changes(world: World) -> None:
    import_contacts(GOOD_AND_BAD_CSV, source="contacts.csv")
    import_contacts(
        json.dumps(
            [
                {
                    "organization": "alpha-registry",
                    "name": "Alpha CERT",
                    "email": "cert@alpha.example",
                    "pgp_key": ED25519,
                    "is_24x7": True,
                    "tlp": "AMBER+STRICT",
                }
            ]
        ),
        source="keys.json",
    )
    before = _state()
    text = _export("csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == Contact.objects.count()
    report = import_contacts(text, source="export.csv")
    assert report.ok, [str(e) for e in report.errors]
    assert (report.created, report.updated) == ([], [])
    assert report.unchanged == len(rows)
    before["audit"] += 1  # the export itself is a disclosure
    assert _state() == before


def test_an_exported_json_reimports_without_changes(world: World) -> None:
    text = _export("json")
    report = import_contacts(text, source="export.json")
    assert report.ok, [str(e) for e in report.errors]
    assert report.unchanged == 2


def test_a_stated_fingerprint_never_overrides_the_keys_own(world: World) -> None:
    rows = [
        {
            "organization": "alpha-registry",
            "name": "K",
            "email": "k@alpha.example",
            "pgp_key": ED25519,
            "pgp_fingerprint": "00" * 20,
        }
    ]
    report = import_contacts(json.dumps(rows), source="k.json")
    assert report.ok
    assert Contact.objects.get(email="k@alpha.example").pgp_fingerprint == ED25519_FPR


def test_an_import_cannot_claim_a_contact_is_verified(world: World) -> None:
    rows = [
        {
            "organization": "alpha-registry",
            "name": "V",
            "email": "v@alpha.example",
            "verified_at": "2026-01-01T00:00:00+00:00",
        }
    ]
    report = import_contacts(json.dumps(rows), source="v.json")
    assert report.ok
    assert Contact.objects.get(email="v@alpha.example").verified_at is None


def test_an_export_is_recorded_as_a_disclosure(world: World) -> None:
    response = world.api("coordinator").get("/api/v1/directory/export/contacts?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dnscc-contacts.csv"'
    event = AuditEvent.objects.get(action="disclose.export")
    assert event.actor == "coord1"
    assert event.object_type == "directory.contacts"
    assert sorted(event.data["ids"]) == [
        "alpha-registry:security@alpha.example",
        "bravo-registry:security@bravo.example",
    ]
    assert event.data["format"] == "csv"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/directory/export/users", "what"),
        ("/api/v1/directory/export/contacts?format=xml", "format"),
    ],
)
def test_an_unknown_export_is_refused_naming_the_field(world: World, url: str, field: str) -> None:
    response = world.api("admin").get(url)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert not AuditEvent.objects.filter(action="disclose.export").exists()


# --- uploads ---------------------------------------------------------------------------


def _upload(world: World, name: str, text: str, **extra: Any) -> Any:
    return world.api("coordinator").post(
        "/api/v1/directory/import/contacts",
        {"file": SimpleUploadedFile(name, text.encode()), **extra},
    )


def test_an_upload_reports_bad_rows_as_json(world: World) -> None:
    response = _upload(world, "contacts.csv", GOOD_AND_BAD_CSV)
    assert response.status_code == 200
    body = response.json()
    assert {
        "file": "contacts.csv",
        "line": 3,
        "field": "email",
        "error": "'not-an-email' is not a valid email address",
    } in body["errors"]
    assert len(body["created"]) == 2


def test_a_dry_run_upload_writes_nothing(world: World) -> None:
    before = _state()
    response = _upload(world, "contacts.csv", GOOD_AND_BAD_CSV, dry_run="true")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert len(response.json()["created"]) == 2
    assert _state() == before


def test_an_upload_with_an_unknown_column_is_a_422_naming_it(world: World) -> None:
    response = _upload(world, "typo.csv", "organization,name,emial\na,b,c\n")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"file": "typo.csv", "line": 1, "field": "emial", "error": "unknown column(s): 'emial'"}
    ]


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message(world: World) -> None:
    portal = world.client("coordinator")  # signing in is audited: before the snapshot
    before = _state()
    big = _csv(*[f"alpha-registry,,,,N{i},n{i}@alpha.example,,," for i in range(40)])
    assert len(big) > 1024
    response = _upload(world, "big.csv", big)
    assert response.status_code == 422
    assert "over the limit of 1024" in response.json()["detail"]
    assert response.json()["hint"] == "split it, or raise DNSCC_MAX_UPLOAD_BYTES"
    page = portal.post(
        "/directory/import/",
        {"what": "contacts", "file": SimpleUploadedFile("big.csv", big.encode())},
    )
    assert page.status_code == 200
    assert "over the limit of 1024" in page.content.decode()
    assert _state() == before


def test_the_portal_import_page_lists_bad_rows_without_a_traceback(world: World) -> None:
    response = world.client("coordinator").post(
        "/directory/import/",
        {"what": "contacts", "file": SimpleUploadedFile("contacts.csv", GOOD_AND_BAD_CSV.encode())},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Traceback" not in content
    assert "not-an-email" in content
    assert Contact.objects.filter(email="noc@alpha.example").exists()


def test_a_file_that_is_not_utf8_is_refused(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/directory/import/contacts",
        {"file": SimpleUploadedFile("latin1.csv", b"organization,name\nalpha,Caf\xe9\n")},
    )
    assert response.status_code == 422
    assert "not UTF-8" in response.json()["detail"]


def test_a_csv_record_spanning_lines_is_reported_by_its_first_line(world: World) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["organization", "name", "email", "pgp_key"])
    writer.writerow(["alpha-registry", "Keyed", "keyed@alpha.example", ED25519])
    writer.writerow([])
    writer.writerow(["alpha-registry", "Bad", "bad-email", ED25519])
    writer.writerow(["alpha-registry", "Bad too", "bad-too", ""])
    text = out.getvalue()
    lines = text.splitlines()
    report = import_contacts(text, source="keys.csv")
    bad, bad_too = (e.location.line for e in report.errors)
    assert lines[bad - 1].startswith("alpha-registry,Bad,bad-email,")
    assert lines[bad_too - 1] == "alpha-registry,Bad too,bad-too,"
    assert report.created == ["alpha-registry: keyed@alpha.example"]
    assert Contact.objects.get(email="keyed@alpha.example").pgp_fingerprint == ED25519_FPR
