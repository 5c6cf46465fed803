"""The import page: a dry run shows the diff and writes nothing; bad rows are located."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dnscc.directory.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD_CSV = (
    "organization,name,email,language\n"
    "alpha-registry,Alpha abuse desk,abuse@alpha.example,en\n"
    "bravo-registry,Bravo NOC,noc@bravo.example,fr\n"
)
BAD_CSV = (
    "organization,name,email\n"
    "alpha-registry,Alpha abuse desk,abuse@alpha.example\n"
    "bravo-registry,Bravo NOC,not an address\n"
)


def upload(page: Page, name: str, text: str, *, dry_run: bool) -> None:
    page.get_by_label("File holds").select_option("contacts")
    page.get_by_label("File (at most").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_label("Dry run").set_checked(dry_run)
    with page.expect_navigation():
        page.get_by_role("button", name="Import").click()


def contact_emails() -> set[str]:
    return set(Contact.objects.values_list("email", flat=True))


def test_a_dry_run_import_shows_the_diff_and_writes_nothing(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page).to_have_url(f"{live_server.url}/directory/import/")
    # Dry run is the default, so that a first upload cannot write by accident.
    expect(page.get_by_label("Dry run")).to_be_checked()
    before = contact_emails()

    upload(page, "contacts.csv", GOOD_CSV, dry_run=True)
    report = page.locator("#import-report")
    expect(report.get_by_role("heading")).to_have_text("contacts.csv (dry run: nothing written)")
    expect(report).to_contain_text("2 records: 2 new, 0 updated, 0 unchanged, 0 rejected.")
    expect(report.locator("li")).to_have_count(2)
    expect(report).to_contain_text("+ ")
    expect(report).to_contain_text("abuse@alpha.example")
    expect(report).to_contain_text("noc@bravo.example")
    expect(page.locator("#import-errors")).to_have_count(0)
    assert contact_emails() == before

    # The same file for real writes exactly what the dry run promised.
    upload(page, "contacts.csv", GOOD_CSV, dry_run=False)
    expect(report.get_by_role("heading")).to_have_text("contacts.csv")
    assert contact_emails() == before | {"abuse@alpha.example", "noc@bravo.example"}


def test_a_bad_row_is_reported_with_file_line_and_field(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/import/")
    before = contact_emails()
    upload(page, "partners.csv", BAD_CSV, dry_run=True)
    errors = page.locator("#import-errors li")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("partners.csv, line 3, field 'email'")
    expect(errors).to_contain_text("'not an address' is not a valid email address")
    expect(page.locator("#import-report")).to_contain_text(
        "1 new, 0 updated, 0 unchanged, 1 rejected"
    )
    assert contact_emails() == before
