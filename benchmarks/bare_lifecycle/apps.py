from django.apps import AppConfig


class BareLifecycleConfig(AppConfig):
    name = "benchmarks.bare_lifecycle"
    label = "bare_lifecycle"
    default_auto_field = "django.db.models.BigAutoField"
