from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "dnscc.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from dnscc.incidents import intake, signals

        signals.connect()
        intake.connect()  # a monitoring alert files a report
        from dnscc.incidents.desks import unstaffed_on_duty
        from dnscc.monitoring.services import register_extra_desks

        # Nobody staffs the desk on duty: its alerts are in every coordinator's view.
        register_extra_desks("unstaffed-on-duty", lambda: [d for d in [unstaffed_on_duty()] if d])
