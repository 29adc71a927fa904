"""The OAuth use cases that write: register.php's consent (design §5).

Like the App services below them, they take the acting account, own their transaction, and
refuse a broken rule with a typed exception; the views only parse and answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.models import Account
from apps_registry.models import App, ConsumedRegistration
from apps_registry.services import Origin, app_create

from .housekeeping import purge_consumed_registrations


class ConsentAlreadyUsed(Exception):
    """The register.php consent page was submitted before: it registers nothing again."""


@dataclass(frozen=True)
class Registration:
    app: App
    code: str | None  # an authorization code for the account, when it granted access


def register_by_consent(
    *,
    actor: Account,
    app_fields: dict,
    nonce: str,
    grant_access: bool,
    origin: Origin,
    http_request: HttpRequest,
) -> Registration:
    """What Register on register.php's consent page does, all or nothing: use up the page's
    one-time nonce, create the (untrusted) App owned by the actor's account, and, when the user
    granted access, issue an authorization code for it. Raises ConsentAlreadyUsed, or the App
    services' errors (UnifiedApiNotAllowed, AppLimitReached, a field's ValidationError), with
    nothing written. `http_request` is the consent request, which django-oauth-toolkit needs to
    issue the code."""
    with transaction.atomic():
        purge_consumed_registrations()
        try:
            with transaction.atomic():
                ConsumedRegistration.objects.create(nonce=nonce)
        except IntegrityError:
            raise ConsentAlreadyUsed from None
        app = app_create(actor=actor, owner=actor, origin=origin, trusted=False, **app_fields)
        code = issue_code(http_request, app) if grant_access else None
    return Registration(app=app, code=code)


def issue_code(http_request: HttpRequest, app: App) -> str:
    """A normal authorization code for the signed-in user and the App, issued by
    django-oauth-toolkit as the authorization endpoint would, so the token endpoint redeems it."""
    uri, _headers, _body, _status = get_oauthlib_core().create_authorization_response(
        http_request,
        scopes=app.api,
        credentials={"client_id": app.client_id, "response_type": "code", "redirect_uri": None},
        allow=True,
    )
    return dict(parse_qsl(urlsplit(uri).query))["code"]
