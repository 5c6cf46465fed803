from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "dnscc.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from dnscc.incidents import intake, signals

        signals.connect()
        intake.connect()  # a monitoring alert files a report
