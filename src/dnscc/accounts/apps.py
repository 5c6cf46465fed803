from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dnscc.accounts"
    label = "accounts"
    verbose_name = "Accounts"
