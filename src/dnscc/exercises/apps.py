from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "dnscc.exercises"
    label = "exercises"
    verbose_name = "Exercises"

    def ready(self) -> None:
        # An alert a real sweep opens for a fault an exercise injected carries its mark:
        # monitoring (a lower floor) asks through its own hook.
        from dnscc.exercises.runner import marker
        from dnscc.monitoring.services import register_exercise_marker

        register_exercise_marker("exercises", marker)
