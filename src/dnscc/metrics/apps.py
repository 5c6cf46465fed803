from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "dnscc.metrics"
    label = "metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        # The system check that refuses a profile naming an unknown figure (metrics.E001).
        from dnscc.metrics import checks  # noqa: F401
