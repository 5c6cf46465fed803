from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dnscc.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
