from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "dnscc.sharing"
    label = "sharing"
    verbose_name = "Sharing"
