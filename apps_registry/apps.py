from django.apps import AppConfig


class AppsRegistryConfig(AppConfig):
    name = "apps_registry"
    verbose_name = "SystemAPI & UnifiedAPI Apps"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
