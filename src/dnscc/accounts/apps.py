from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dnscc.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from dnscc.accounts import signals

        signals.connect()
