from typing import Any

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "dnscc.outreach"
    label = "outreach"
    verbose_name = "Outreach"

    def ready(self) -> None:
        # The center's OpenPGP key signs the audit log's checkpoints (accounts.anchor owns
        # the hook; accounts is a lower floor and does not import outreach).
        from dnscc.accounts import anchor
        from dnscc.directory import services as directory
        from dnscc.outreach import pgp

        anchor.set_signer(
            anchor.Signer(
                sign=lambda data: pgp.sign_detached(data)[0],
                verify=lambda data, signature: pgp.verify_detached(
                    data, signature.encode(), pgp.center_key().extract_certificate()
                ),
                fingerprint=pgp.center_fingerprint,
            )
        )
        # A contact's verification link travels through the one outbox (directory owns the
        # hook; it is a lower floor and does not import outreach).
        directory.set_verification_mailer(_queue_contact_verification)


def _queue_contact_verification(actor: Any, contact: Any, link: str) -> Any:
    from dnscc.outreach.services import queue_contact_verification

    return queue_contact_verification(actor, contact, link)
