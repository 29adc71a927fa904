from django.apps import AppConfig


class PlaygroundConfig(AppConfig):
    """The developer playground: play an App against the real endpoints."""

    name = "playground"
    verbose_name = "Developer playground"
