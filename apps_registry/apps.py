from django.apps import AppConfig


class AppsRegistryConfig(AppConfig):
    name = "apps_registry"
    verbose_name = "SystemAPI & UnifiedAPI Apps"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the account_deactivated receiver)
