from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "dnscc.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from dnscc.campaigns import signals

        signals.connect()
