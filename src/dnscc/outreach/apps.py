from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "dnscc.outreach"
    label = "outreach"
    verbose_name = "Outreach"
