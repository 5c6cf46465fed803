from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "dnscc.risk"
    label = "risk"
    verbose_name = "Risk"
