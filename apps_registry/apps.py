from django.apps import AppConfig


class AppsRegistryConfig(AppConfig):
    name = "apps_registry"
    verbose_name = "SystemAPI & UnifiedAPI Apps"

    def ready(self) -> None:
        from ops.health import readiness_check

        from . import checks, receivers  # noqa: F401 (connects the account_deactivated receiver)

        readiness_check(checks.secrets_problem)
