from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What an operator's tools call: the probes /healthz and /readyz, and /metrics."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
