"""register.php's consent (design §5): the App its person registers, single use, the twin
asked about first, and the authorization code when access was granted too."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.models import Account
from apps_registry.models import App, ConsumedRegistration
from apps_registry.services import AddOutcome, Origin, app_add

from ..housekeeping import purge_consumed_registrations


class ConsentAlreadyUsed(Exception):
    """The register.php consent page was submitted before: it registers nothing again.
    `app`: the App it made (when known)."""

    def __init__(self, app: App | None = None):
        super().__init__()
        self.app = app


class TwinApp(Exception):
    """The account has an App of this name and redirect URL (`app`): a consent page drawn
    again after Back; its person is asked first, as the Add App form asks."""

    def __init__(self, app: App):
        super().__init__()
        self.app = app


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
    client_id: str | None = None,
    confirm_twin: bool = True,
) -> Registration:
    """What Register on register.php's consent page does, all or nothing: use up the page's
    one-time nonce, add the (untrusted) App owned by the actor's account with app_add (with
    `client_id`, the key the page was drawn with), and, when the user granted access, issue an
    authorization code for it. app_add's outcomes as the Add App form has them: the page sent
    again raises ConsentAlreadyUsed, a twin (while `confirm_twin`) TwinApp; or the App
    services' errors (ApiNotAllowed, AppLimitReached, a field's ValidationError); each with
    nothing written. `http_request` is the consent request, which django-oauth-toolkit needs."""
    with transaction.atomic():
        purge_consumed_registrations()
        try:
            with transaction.atomic():
                ConsumedRegistration.objects.create(nonce=nonce)
        except IntegrityError:
            made = App.objects.filter(owner=actor, client_id=client_id).first() if client_id else None
            raise ConsentAlreadyUsed(made) from None
        added = app_add(
            actor=actor,
            owner=actor,
            origin=origin,
            trusted=False,
            client_id=client_id,
            confirm_twin=confirm_twin,
            **app_fields,
        )
        if added.outcome == AddOutcome.SENT_ALREADY:
            raise ConsentAlreadyUsed(added.app)  # the nonce's row goes with the transaction
        if added.outcome == AddOutcome.TWIN:
            raise TwinApp(added.app)
        if added.outcome == AddOutcome.KEY_TAKEN:
            raise ValidationError("This consent page is too old: open the App's registration link again.")
        app = added.app
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
