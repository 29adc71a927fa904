"""django-oauth-toolkit customisation (design §6): how secrets are checked, what a token acts
for, which scope it carries, and what a replayed authorization code does."""

from __future__ import annotations

import functools
import hashlib
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.encoding import escape_uri_path
from oauth2_provider.oauth2_backends import OAuthLibCore as BaseOAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from apps_registry.models import (
    AccessToken,
    App,
    RedeemedCode,
    RefreshToken,
)
from apps_registry.services import (
    app_authorization_grant,
    app_authorization_hold,
    app_authorization_used,
    record_secret_use,
)
from portal.speedups.prepared import insert

from . import client_metadata
from .clients import REVOKED, load_app_with_secrets, presented_credentials, received_credential, refused_token
from .discovery import resource_problem
from .housekeeping import purge_redeemed_codes
from .issuer import configured_issuer

USER_AGENT_MAX = AccessToken._meta.get_field("user_agent").max_length


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class OAuthLibCore(BaseOAuthLibCore):
    def create_authorization_response(self, request, scopes, credentials, allow):
        """As django-oauth-toolkit's, with RFC 9207's `iss` set to the configured issuer, the
        one the metadata names (RFC 8414 §2), rather than one built from the request's Host.
        Without a configured issuer there is no metadata, and `iss` stays the request's."""
        uri, headers, body, status = super().create_authorization_response(
            request, scopes, credentials, allow
        )
        issuer = configured_issuer()
        if uri is not None and issuer:
            parts = urlsplit(uri)
            query = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0] != "iss"]
            uri = headers["Location"] = urlunsplit(parts._replace(query=urlencode([*query, ("iss", issuer)])))
        return uri, headers, body, status

    def _get_escaped_full_path(self, request) -> str:
        """The path with its query re-encoded from Django's own parse of it. oauthlib raises
        ValueError (a 500) on a query with a stray "%" or bytes that are not UTF-8, which
        Django parses leniently; re-encoded, the same parameters reach oauthlib, duplicates
        included, so its own checks (a parameter given twice, ...) still apply."""
        query = urlencode(list(request.GET.lists()), doseq=True)
        return escape_uri_path(request.path) + (f"?{query}" if query else "")


def _code_gone_is_invalid_grant(method):
    @functools.wraps(method)
    def read(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except ObjectDoesNotExist:
            raise errors.InvalidGrantError(description=REVOKED) from None

    return read


class Validator(OAuth2Validator):
    # --- The App: looked up once, its secret compared in constant time ------------------

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        """HTTP Basic, then the body, as django-oauth-toolkit's (RFC 6749 2.3.1), through the
        portal's own reading of the credentials (oauth.clients, which the token endpoint's
        client_credentials path shares). App secrets are encrypted, not hashed: a
        constant-time comparison with each of the App's live secrets (two while it rotates)
        costs microseconds, so a flood of wrong secrets costs no password-hash work. The
        matching secret is kept on the request, for the tokens to remember it, and its use
        recorded (at most once a minute)."""
        for name in ("client_id", "client_secret"):
            # Decoded where they hold an escape (oauth.clients.received_credential), for the
            # grant's own checks of the client_id as much as for authentication.
            value = getattr(request, name, None)
            if isinstance(value, str) and "%" in value:
                setattr(request, name, received_credential(value))
        authorization = request.headers.get("HTTP_AUTHORIZATION")
        body_id, body_secret = getattr(request, "client_id", None), getattr(request, "client_secret", None)
        for client_id, secret in presented_credentials(authorization, body_id, body_secret):
            client = self._load_application(client_id, request)
            if client is None:
                continue
            matched = client.matching_secret(secret)
            if matched is not None:
                request.authenticated_secret = matched
                record_secret_use(matched)
                return True
        request.authenticated_secret = None
        return False

    def _load_application(self, client_id, request):
        """As django-oauth-toolkit's, minus the queries that cannot find an App: none without a
        client_id (Basic credentials failed and the body has none: it looked up `IS NULL`), and
        one per request for a client_id that is not there. No App ID/key holds a NUL, and
        PostgreSQL refuses one in a query (a 500): such an App is simply unknown. The App comes
        with its live secrets, in the same query (load_app_with_secrets). A client_id that is a
        Client ID Metadata Document's URL is the portal's own (oauth.client_metadata.resolve:
        fetched and kept as an App through the App services), not django-oauth-toolkit's
        (CIMD_ENABLED stays off); any other costs it one string comparison."""
        if not client_id or "\x00" in client_id or getattr(request, "absent_client_id", None) == client_id:
            return None
        client = request.client
        if not (isinstance(client, App) and client.client_id == client_id and client.is_usable(request)):
            client = client_metadata.resolve(client_id, load_app_with_secrets(client_id), request)
            if client is None or not client.is_usable(request):
                request.absent_client_id = client_id
                request.client = None
                return None
            request.client = client
        return client

    # --- Public clients (RFC 7591 registration): PKCE S256 always -----------------------

    def is_pkce_required(self, client_id, request) -> bool:
        """A public client proves at the token endpoint only that it holds the PKCE verifier:
        required at authorize.php and at the token endpoint (RFC 9700 2.1.1), as it is for an
        unverified App (open registration, metadata documents: App.requires_pkce). Any other
        confidential client: as the PKCE_REQUIRED setting says (honoured when sent, design §6)."""
        client = getattr(request, "client", None)
        if client is not None and client.client_id == client_id and client.requires_pkce:
            return True
        return super().is_pkce_required(client_id, request)

    # --- Scope: a token is bound to its App's API -------------------------------------

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        return [request.client.api]

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        """Every token's scope is its App's API, whatever the client asked for: VoipNow
        clients send no scope (or one of their own), and an unknown field is never an error."""
        request.scopes = [client.api]
        return True

    # --- RFC 8707: what a token is bound to ---------------------------------------------

    def _check_and_set_request_resource(self, request) -> None:
        """django-oauth-toolkit's (each value an absolute URI; a code's or refresh token's
        resource inherited, or narrowed within it), and then: one resource, and one that
        serves the App's API (oauth.discovery.resource_problem), client_credentials included."""
        super()._check_and_set_request_resource(request)
        if request.resource and (problem := resource_problem(request.resource, request.client.api)):
            raise errors.CustomOAuth2Error(error="invalid_target", description=problem, request=request)

    # --- What a token acts for, and who asked for it ----------------------------------

    def _create_access_token(self, expires, request, token, source_refresh_token=None) -> AccessToken:
        """As django-oauth-toolkit's, except that a client_credentials token acts as the
        account that owns the App (it sets no user), the client's User-Agent is kept for the
        App's token list, and the token remembers the secret its client authenticated with
        (the database refuses it if that secret was removed meanwhile)."""
        user_id = request.client.owner_id if request.grant_type == "client_credentials" else request.user.pk
        access_token = AccessToken(
            user_id=user_id,
            scope=token["scope"],
            expires=expires,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
            user_agent=(request.headers.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX],
            secret=getattr(request, "authenticated_secret", None),
        )
        self._set_token_value(access_token, token["access_token"])
        insert(access_token)
        if request.client.unused_expires is not None:
            # An open-registered App in use never expires (oauth.housekeeping); one query, on
            # its first token only.
            App.objects.filter(pk=request.client.pk).update(unused_expires=None)
            request.client.unused_expires = None
        if request.grant_type != "client_credentials":
            # A code exchanged or a token refreshed: the grant was used (design §8). One
            # guarded UPDATE, which writes at most once a minute; client_credentials acts on
            # no grant and costs nothing more.
            app_authorization_used(app_id=request.client.pk, account_id=user_id)
        request.issued_access_token = access_token
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        """As django-oauth-toolkit's, plus the secret this request authenticated with (a
        refresh with the new secret moves the token to it)."""
        refresh_token = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=previous_refresh_token.token_family if previous_refresh_token else uuid.uuid4(),
            resource=getattr(request, "resource", []),
            secret=getattr(request, "authenticated_secret", None),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        insert(refresh_token)
        request.issued_token_family = refresh_token.token_family
        return refresh_token

    # --- Authorization codes: the grant they stand for ---------------------------------

    def save_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """Issue the code, and record the user's grant to the App with it (design §8): what
        authorize.php asks no more while it lasts. Both or neither."""
        with transaction.atomic():
            super().save_authorization_code(client_id, code, request, *args, **kwargs)
            app_authorization_grant(app=request.client, account=request.user)

    # --- Authorization codes: single use, and a replay revokes what the code issued ---

    def _save_bearer_token(self, token, request, *args, **kwargs):
        # A code exchange or a refresh acts on the account's grant to the App: hold it (and
        # wait for a Revoke access in flight) before anything is locked or written; gone, the
        # grant is (design §6, migration 0013).
        if request.grant_type in ("authorization_code", "refresh_token") and not app_authorization_hold(
            app_id=request.client.pk, account_id=request.user.pk
        ):
            raise errors.InvalidGrantError(description=REVOKED, request=request)
        try:
            super()._save_bearer_token(token, request, *args, **kwargs)
        except ObjectDoesNotExist:
            # The refresh token (or the access token it names) was deleted since it was
            # validated: revoked meanwhile (Revoke access, Revoke tokens, a replayed code).
            raise errors.InvalidGrantError(description=REVOKED, request=request) from None
        except IntegrityError as error:
            # A trigger refused the token (oauth.clients.refused_token says which answer).
            if (refused := refused_token(error, request.grant_type)) is None:
                raise
            code, description = refused
            if code == "invalid_client":
                raise errors.InvalidClientError(request=request) from None
            raise errors.InvalidGrantError(description=description, request=request) from None
        if request.grant_type == "authorization_code" and request.code:
            issued = getattr(request, "issued_access_token", None)
            purge_redeemed_codes()
            # ignore_conflicts: two exchanges of one code racing each other; the loser's
            # exchange fails when the code is invalidated right after this.
            RedeemedCode.objects.bulk_create(
                [
                    RedeemedCode(
                        code_checksum=checksum(request.code),
                        application=request.client,
                        access_token_id=issued.pk if issued else None,
                        token_family=getattr(request, "issued_token_family", None),
                    )
                ],
                ignore_conflicts=True,
            )

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """oauthlib deletes the code after saving the tokens. When another exchange of the same
        code deleted it first, this exchange fails: drop the tokens it had already saved, which
        were never handed out."""
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            issued = getattr(request, "issued_access_token", None)
            if issued is not None:
                RefreshToken.objects.filter(access_token_id=issued.pk).delete()
                AccessToken.objects.filter(pk=issued.pk).delete()
            raise

    # A code deleted after validate_code read it (a Revoke access, another exchange of it): the
    # grant is gone, as django-oauth-toolkit's later reads of it find (invalid_grant, not 500).

    @_code_gone_is_invalid_grant
    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs) -> bool:
        return super().confirm_redirect_uri(client_id, code, redirect_uri, client, *args, **kwargs)

    @_code_gone_is_invalid_grant
    def get_code_challenge(self, code, request):
        return super().get_code_challenge(code, request)

    @_code_gone_is_invalid_grant
    def get_code_challenge_method(self, code, request):
        return super().get_code_challenge_method(code, request)

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        if "\x00" in code:  # no code holds one, and PostgreSQL refuses it in a query
            return False
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        self._revoke_what_a_replayed_code_issued(code, client)
        return False

    @staticmethod
    def _revoke_what_a_replayed_code_issued(code: str, client) -> None:
        """RFC 6749 4.1.2 and design §6: the code was already exchanged, so someone holds a copy
        of it. Revoke the tokens the first exchange issued and every token refreshed from them."""
        redeemed = RedeemedCode.objects.filter(code_checksum=checksum(code), application=client).first()
        if redeemed is None:
            return
        with transaction.atomic():
            family = RefreshToken.objects.filter(application=client, token_family=redeemed.token_family)
            family_ids = list(family.values_list("pk", flat=True)) if redeemed.token_family else []
            AccessToken.objects.filter(
                Q(pk=redeemed.access_token_id) | Q(source_refresh_token_id__in=family_ids),
                application=client,
            ).delete()
            RefreshToken.objects.filter(pk__in=family_ids).delete()
            redeemed.delete()
