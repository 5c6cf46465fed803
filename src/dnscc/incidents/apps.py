from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "dnscc.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from dnscc.incidents import signals

        signals.connect()
