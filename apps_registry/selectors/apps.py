"""One App: the App an actor may manage, its live tokens and secrets, and the App an Add App
form made or would twin."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Account

from ..models import AccessToken, App, ClientRegistration, live_secret_among_q


def manageable_app(actor: Account, pk: int) -> App:
    """An App the actor may manage, with its owner's parents (for the breadcrumb); Http404 when
    it is missing or out of reach, alike."""
    app = (
        App.objects.manageable_by(actor).select_related("owner__parent__parent__parent").filter(pk=pk).first()
    )
    if app is None:
        raise Http404("No App matches the given query.")
    return app


def registration_access_live(app: App) -> bool:
    """Whether the App registered itself (RFC 7591) and its registration access token still
    works: what Regenerate and removing a secret would end."""
    return (
        ClientRegistration.objects.filter(app_id=app.pk)
        .exclude(access_token_checksum__startswith=ClientRegistration.ENDED)
        .exists()
    )


def live_tokens(app: App) -> QuerySet[AccessToken]:
    """The App's access tokens that have not expired nor lost their secret: a range of the
    tokens' (application, expires, secret) index, the App's live secrets looked up once
    (live_secret_among_q) rather than once per token as the default manager does (an App's
    page counted its 100k tokens in 570 ms on PostgreSQL that way)."""
    return AccessToken.all_objects.filter(
        live_secret_among_q([app.pk]), application_id=app.pk, expires__gt=timezone.now()
    )


def app_secrets(app: App, *, revealed: tuple[int, str] | None = None) -> list:
    """The App's live secrets, oldest first, each with `live_tokens` (its unexpired access
    tokens: one query for all) and `shown` (masked to its last 4 characters, or in clear for
    the one `revealed` names)."""
    counts = dict(
        live_tokens(app).filter(secret__isnull=False).values_list("secret_id").annotate(count=Count("*"))
    )
    secrets = app.live_secrets
    for secret in secrets:
        secret.live_tokens = counts.get(secret.pk, 0)
        clear = secret.secret
        secret.revealed = revealed is not None and revealed[0] == secret.pk
        secret.shown = revealed[1] if secret.revealed else "•" * (len(clear) - 4) + clear[-4:]
    return secrets


def app_made_by_form(actor: Account, account: Account, *, api: str, client_id: str) -> App | None:
    """The App of `account` and `api` with the key an Add App form carried, when the actor may
    manage it: what an earlier submit of the same form made."""
    return App.objects.manageable_by(actor).filter(owner=account, api=api, client_id=client_id).first()


def app_twin(account: Account, *, api: str, name: str, redirect_uri: str) -> App | None:
    """An App of `account` on `api` with this name and redirect URL: adding another would
    make two that look alike (or it is the same form sent again after Back)."""
    return (
        account.apps.for_api(api)
        .filter(name__iexact=name.strip(), redirect_uri=redirect_uri)
        .order_by("-created")
        .first()
    )
