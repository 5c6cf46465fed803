"""The demo's mail catcher (a real aiosmtpd server on loopback) and the Demo mailbox page:
what the registries received, with signatures checked and encrypted mail decrypted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Contact
from dnscc.incidents import services
from dnscc.incidents.models import Party
from dnscc.outreach import mailbox
from dnscc.outreach.models import Message
from dnscc.outreach.sender import drain
from tests.conftest import World
from tests.outreach.conftest import recipient_key


def test_the_catcher_accepts_the_notices_the_parties_turn_notified_and_the_page_shows_them(
    world: World, catcher: Path
) -> None:
    _tsk, public = recipient_key("Alpha <security@alpha.example>")
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    user = world.users["coordinator"]
    incident = services.create_incident(
        viewer_for(user),
        audit.Actor.of(user),
        {
            "title": "Détournement of <b>ns1</b>",
            "dns_type": "domain-hijack",
            "scope": {"tlds": [".alpha", ".bravo"]},
        },
        user=user,
    )
    services.notify_parties(viewer_for(user), audit.Actor.of(user), incident)
    assert drain().accepted == 2
    assert set(incident.parties.values_list("status", flat=True)) == {Party.NOTIFIED}
    mails = {m.to: m for m in mailbox.read(catcher)}
    assert set(mails) == {"security@alpha.example", "security@bravo.example"}
    encrypted, signed = mails["security@alpha.example"], mails["security@bravo.example"]
    assert encrypted.security == "encrypted"
    assert encrypted.outer_subject == "[...]"
    assert incident.ref in encrypted.subject
    assert encrypted.signature.startswith("valid: signed inside the encryption")
    assert signed.security == "signed"
    assert signed.subject == f"[dnscc] [{incident.ref}] Détournement of <b>ns1</b>"  # RFC 2047
    assert signed.signature.startswith("valid: signed by the center's key")
    key = Message.objects.get(address="security@bravo.example").key
    assert signed.key == key
    assert f"/outreach/ack/{key}/" in signed.ack_url

    page = world.client("coordinator").get("/outreach/mailbox/").content.decode()
    assert "Signed and encrypted (OpenPGP, PGP/MIME)" in page
    assert "Signed (OpenPGP, PGP/MIME)" in page
    assert "2 mails" in page
    # What a registry wrote (here: the incident's title) is escaped, never markup.
    assert "<b>ns1</b>" not in page
    assert "&lt;b&gt;ns1&lt;/b&gt;" in page
    assert "=?utf-8?" not in page


def test_the_demo_mailbox_is_for_staff_in_development_mode_only(
    world: World, catcher: Path, settings: Any
) -> None:
    assert world.client("coordinator").get("/outreach/mailbox/").status_code == 200
    for role in ("operator", "partner", "outsider", "norole"):
        assert world.client(role).get("/outreach/mailbox/").status_code in (403, 404), role
    assert world.client("anonymous").get("/outreach/mailbox/").status_code == 302
    settings.DEV = False
    settings.AUDIT_KEY = "k" * 40  # production mode insists on one
    assert world.client("coordinator").get("/outreach/mailbox/").status_code == 404


def test_the_catcher_command_refuses_production_and_other_addresses(settings: Any) -> None:
    from dnscc import cli

    settings.DEV = False
    assert cli.main(["outreach", "catcher", "--port", "1"]) == 77
    settings.DEV = True
    assert cli.main(["outreach", "catcher", "--host", "0.0.0.0", "--port", "1"]) == 77  # noqa: S104
