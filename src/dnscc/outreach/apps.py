from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "dnscc.outreach"
    label = "outreach"
    verbose_name = "Outreach"

    def ready(self) -> None:
        # The center's OpenPGP key signs the audit log's checkpoints (accounts.anchor owns
        # the hook; accounts is a lower floor and does not import outreach).
        from dnscc.accounts import anchor
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
