from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "dnscc.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
