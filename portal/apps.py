import logging

from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The site itself: settings, shared middleware, forms, admin mixins, checks, error pages."""

    name = "portal"
    verbose_name = "App registration portal"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
        from .logging import RedactSecretQueries

        logging.getLogger("django.server").addFilter(RedactSecretQueries())
        # urllib3 logs each URL it requests at DEBUG; a URL may carry a token in its query.
        logging.getLogger("urllib3").setLevel(logging.INFO)
