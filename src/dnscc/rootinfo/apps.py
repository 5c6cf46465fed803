from django.apps import AppConfig


class RootinfoConfig(AppConfig):
    name = "dnscc.rootinfo"
    label = "rootinfo"
    verbose_name = "Root server information"

    def ready(self) -> None:
        from dnscc.rootinfo import anomalies

        anomalies.register_alert_details()
