"""System checks for the site-wide settings (proxies, mail): `check --deploy` says when a
production setting is unsafe. Each app checks its own settings (oauth/checks.py, ops/checks.py)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from .middleware import proxy_networks


@register(Tags.security, deploy=True)
def trusted_proxies_are_specific(app_configs, **kwargs) -> list[Warning]:
    """TRUSTED_PROXIES names the proxies in front of the portal, never every address; and the
    switches it replaced are no longer read."""
    warnings = []
    networks = proxy_networks(settings.TRUSTED_PROXIES)
    everyone = [str(network) for network in networks if network.prefixlen == 0]
    if everyone:
        warnings.append(
            Warning(
                f"TRUSTED_PROXIES contains {', '.join(everyone)}: every client may set "
                "X-Forwarded-For and X-Forwarded-Proto (another address, a forged HTTPS).",
                hint="List the addresses of your own proxies only (docs/deployment.md §2).",
                id="portal.W001",
            )
        )
    legacy = getattr(settings, "LEGACY_PROXY_SWITCHES", [])
    if legacy:
        warnings.append(
            Warning(
                f"{' and '.join(legacy)} no longer have any effect.",
                hint="Set TRUSTED_PROXIES to the proxy's address instead (docs/deployment.md §2).",
                id="portal.W002",
            )
        )
    return warnings


@register(Tags.security, deploy=True)
def notices_are_mailed(app_configs, **kwargs) -> list[Warning]:
    """In production the notices of App changes (design §3) go to a mail server the operator
    named, from an address of theirs; the console is the default only so that development
    needs nothing."""
    if settings.DEBUG:
        return []
    if not settings.EMAIL_URL_SET:
        return [
            Warning(
                "EMAIL_URL is not set: the e-mail notices of App changes are printed on the "
                "console, not sent.",
                hint="Set EMAIL_URL to your mail server, e.g. smtp+tls://user:password@mail.example.com:587, "
                "or to consolemail:// to keep them in the log on purpose (docs/deployment.md §2).",
                id="portal.W004",
            )
        ]
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") and settings.DEFAULT_FROM_EMAIL == (
        "webmaster@localhost"
    ):
        return [
            Warning(
                "DEFAULT_FROM_EMAIL is Django's webmaster@localhost: mail servers often refuse "
                "or file as spam the notices sent from it.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your domain (docs/deployment.md §2).",
                id="portal.W005",
            )
        ]
    return []
