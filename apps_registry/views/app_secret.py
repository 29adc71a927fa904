"""One App's secrets: reveal one, regenerate them, add a second, remove one."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..exceptions import LastSecret, PublicClientHasNoSecret, SecretLimitReached, SecretNotFound
from ..models import MAX_SECRETS, App
from ..selectors import app_secrets, live_tokens, manageable_app, registration_access_live
from ..services import app_add_secret, app_regenerate_secret, app_remove_secret, app_reveal_secret
from ._base import _app_context, _confirm, _origin, _partial, _redirect, _render, removed_meanwhile_is_404


def _secrets_context(app: App, revealed: tuple[int, str] | None = None) -> dict:
    """What the App's secret list shows: each live secret (masked, or in clear when just
    revealed), who added it and when, when it was last used and its live tokens."""
    return {
        "secrets": app_secrets(app, revealed=revealed),
        "max_secrets": MAX_SECRETS,
        "revealed": revealed is not None,
    }


def _secret_id(data) -> int | None:
    value = data.get("secret")
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@never_cache
@require_POST
def app_reveal_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one secret in clear (the `secret` posted, or the newest), recorded in the audit
    trail with which secret it was."""
    app = manageable_app(request.user, pk)
    if app.is_public:
        return _no_secret(request, app)
    secret_id = _secret_id(request.POST)
    try:
        value = app_reveal_secret(actor=request.user, app=app, origin=_origin(request), secret_id=secret_id)
    except SecretNotFound:
        raise Http404("This App has no such secret.") from None
    if secret_id is None:
        secret_id = app.live_secrets[-1].pk
    if _partial(request):
        return render(
            request,
            "apps_registry/app_edit.html#secret",
            {"app": app, **_secrets_context(app, (secret_id, value))},
        )
    # Without JavaScript: POST, redirect, GET, so a refresh resends nothing. The GET shows the
    # secret once, for a one-time token kept in the session (never the secret, in the session
    # or the URL); the reveal was audited here, once.
    token = secrets.token_urlsafe(16)
    request.session[REVEALED_SESSION_KEY] = {"token": token, "app": app.pk, "secret": secret_id}
    return redirect(f"{app.get_absolute_url()}?{urlencode({'revealed': token})}")


REVEALED_SESSION_KEY = "apps_registry:revealed"


def _no_secret(request: HttpRequest, app: App) -> HttpResponse:
    """Reveal or Regenerate on a public client, which has no secret: say so on its page."""
    messages.error(request, PublicClientHasNoSecret().messages[0])
    return redirect(app.get_absolute_url())


def _take_revealed(request: HttpRequest, app: App) -> tuple[int, str] | None:
    """(secret id, the secret), when this GET follows the reveal POST of this App (its one-time
    token); the token is used up, so a refresh shows the secret masked again."""
    token = request.GET.get("revealed")
    if not token:
        return None
    mark = request.session.get(REVEALED_SESSION_KEY)
    if not isinstance(mark, dict) or not secrets.compare_digest(str(mark.get("token", "")), token):
        return None
    del request.session[REVEALED_SESSION_KEY]
    if mark.get("app") != app.pk:
        return None  # another App's
    shown = next((secret for secret in app.live_secrets if secret.pk == mark.get("secret")), None)
    return (shown.pk, shown.secret) if shown else None  # None: the secret was removed since


def _new_secret_page(
    request: HttpRequest, app: App, secret: str, *, heading: str, message: str
) -> HttpResponse:
    """The new secret, shown once (it stays revealable, audited, from the App's page); with
    htmx the App page's secret list is updated out of band, the new one in clear there too."""
    new = next(each for each in reversed(app.live_secrets) if each.secret == secret)
    return _render(
        request,
        "apps_registry/app_secret_new.html",
        "dialog",
        _app_context(
            request,
            app,
            secret=secret,
            heading=heading,
            message=message,
            # Shown because it was just made, not revealed: no reveal to speak of.
            **{**_secrets_context(app, (new.pk, secret)), "revealed": False, "just_made": True},
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_regenerate_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace every secret with one new one after a confirmation; every token of the App
    stops working."""
    app = manageable_app(request.user, pk)
    if app.is_public:
        return _no_secret(request, app)
    if request.method == "POST":
        with removed_meanwhile_is_404():
            app = app_regenerate_secret(actor=request.user, app=app, origin=_origin(request))
        return _new_secret_page(
            request,
            app,
            app.client_secret,
            heading=f"New secret of “{app.name}”",
            message="The secret was regenerated. Every earlier token of the App was revoked.",
        )
    return _confirm(
        request,
        app,
        title=f"Regenerate the secret of “{app.name}”?",
        message=(
            "A new App secret replaces the current one"
            + (" and the other one" if len(app.live_secrets) > 1 else "")
            + ". Every access token and refresh token of the App stops working at once, every "
            "account that allowed the App is asked again, and the App must use the new secret "
            "from now on"
            + (
                " (its RFC 7592 registration access token stops working too)"
                if registration_access_live(app)
                else ""
            )
            + ". To change the secret without downtime, add a second secret instead, move the App "
            "to it, then remove the old one."
        ),
        count=live_tokens(app).count(),
        action_url=reverse("apps_registry:regenerate_secret", args=[app.pk]),
        button="Regenerate the secret",
        danger=True,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_add_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the App a second secret after a confirmation; both work until one is removed."""
    app = manageable_app(request.user, pk)
    if app.is_public:
        return _no_secret(request, app)
    if request.method == "POST":
        try:
            with removed_meanwhile_is_404():
                app, value = app_add_secret(actor=request.user, app=app, origin=_origin(request))
        except SecretLimitReached as error:
            messages.error(request, error.messages[0])
            return _redirect(request, app.get_absolute_url())
        return _new_secret_page(
            request,
            app,
            value,
            heading=f"Second secret of “{app.name}”",
            message=(
                "A second secret was added. Both secrets work: move the App to the new one, "
                "then remove the old one. The App's tokens keep working."
            ),
        )
    if len(app.live_secrets) >= MAX_SECRETS:
        messages.error(request, SecretLimitReached(MAX_SECRETS).messages[0])
        return _redirect(request, app.get_absolute_url())
    return _confirm(
        request,
        app,
        title=f"Add a second secret to “{app.name}”?",
        message=(
            "A new secret is generated and shown once. Both secrets work until you remove one, "
            "so the App can move to the new secret without downtime; no token stops working."
        ),
        action_url=reverse("apps_registry:add_secret", args=[app.pk]),
        button="Add a secret",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_remove_secret_view(request: HttpRequest, pk: int, secret_pk: int) -> HttpResponse:
    """Remove one of the App's two secrets after a confirmation: the tokens it minted stop
    working, the others do not. A secret of another App, or removed already, is a 404."""
    app = manageable_app(request.user, pk)
    secret = next((each for each in app_secrets(app) if each.pk == secret_pk), None)
    if secret is None:
        raise Http404("This App has no such secret.")
    if request.method == "POST":
        try:
            with removed_meanwhile_is_404():
                revoked = app_remove_secret(
                    actor=request.user, app=app, secret_id=secret.pk, origin=_origin(request)
                )
        except SecretNotFound:
            raise Http404("This App has no such secret.") from None
        except LastSecret as error:
            messages.error(request, error.messages[0])
            return _redirect(request, app.get_absolute_url())
        count = revoked["access_tokens"]
        messages.success(
            request,
            f"The secret {secret.masked} of “{app.name}” was removed, with the "
            f"{count} access token{'s' if count != 1 else ''} it had issued.",
        )
        return _redirect(request, app.get_absolute_url())
    if len(app.live_secrets) <= 1:
        messages.error(request, LastSecret().messages[0])
        return _redirect(request, app.get_absolute_url())
    return _confirm(
        request,
        app,
        title=f"Remove the secret {secret.masked} of “{app.name}”?",
        message=(
            f"The secret {secret.masked} stops working at once, and so does every access token and "
            "refresh token it issued"
            + (", and the App's RFC 7592 registration access token" if registration_access_live(app) else "")
            + ". The App's other secret and its tokens keep working."
        ),
        count=secret.live_tokens,
        action_url=reverse("apps_registry:remove_secret", args=[app.pk, secret.pk]),
        button="Remove the secret",
        danger=True,
    )
