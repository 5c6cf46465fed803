from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dnscc.web"
    label = "web"
    verbose_name = "Portal"

    def ready(self) -> None:
        import dnscc.checks  # noqa: F401 - registers the system checks
