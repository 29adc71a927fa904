"""Client ID Metadata Documents become Apps (design §6.2): a client_id that is an https URL with a
path names a JSON document (draft-ietf-oauth-client-id-metadata-document) that the portal
fetches (fetch.py), checks, and keeps as an App of the owning account
(OAUTH_CLIENT_METADATA_ACCOUNT), source "metadata document", unverified and public.

Called from ONE place, the App loading of the OAuth validator (oauth.validator's
_load_application, through `resolve`): a client_id that is not such a URL costs one string
comparison. The App is written through the App services (app_create, app_update: the owner
account as the actor, the audit row, the App limit, the redirect-URL rules), which is why the
upsert is the portal's and not django-oauth-toolkit's resolve_cimd_application (that one
saves an Application with no owner and its own field rules). The library's hooks are used as
they are: CIMD_METADATA_FETCHER names the fetcher, CIMD_REGISTRATION_PERMISSION_CLASSES decide
which URLs may be fetched at all (hosts.RefusedHostPermission: the owner's refused hosts), and
its CIMD_* settings bound the fetch and the cache.

The cache is the App: fresh until `cimd_expires_at` (the document's Cache-Control max-age,
bounded: fetch.max_age); once stale it is fetched again on its next use. A fetch that fails
while the copy is younger than CIMD_METADATA_MAX_AGE_SECONDS (a day) since it was last fetched
uses the copy; otherwise, and for a document never fetched, the client is unknown: an error
page at authorize.php (never a redirect to a redirect URL nobody checked) and invalid_client
at the token endpoint. A failure is remembered for CIMD_FAILURE_BACKOFF_SECONDS (per process),
with its reason, which authorize.php shows.

Limits: OAUTH_CLIENT_METADATA_FETCHES_PER_HOST fetches per host an hour (counted in the
database, so every process shares them) and OAUTH_CLIENT_METADATA_CAP such Apps at once
(beside the owning account's APP_LIMIT), both read at call time.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from accounts.models import Account
from apps_registry.apis import REGISTRATION_DEFAULT, Api
from apps_registry.exceptions import DuplicateAppKey
from apps_registry.models import App, MetadataFetch
from apps_registry.services import app_create, app_update
from portal.audit import AuditSource, Origin

from ..registration import FIELD_MEMBERS, SCOPES, RegistrationError, parse_client_metadata
from .fetch import MetadataDocumentError, document_url_problem

log = logging.getLogger(__name__)

# The window OAUTH_CLIENT_METADATA_FETCHES_PER_HOST counts in.
FETCH_WINDOW = timedelta(hours=1)
_FAILURE_KEY = "portal:client-metadata:failure:"
ORIGIN = Origin(AuditSource.METADATA_DOCUMENT)


def is_document_id(client_id: str | None) -> bool:
    """Whether `client_id` is meant as a metadata document's URL: the cheap test every client_id
    passes through (an App's key never starts with "https://")."""
    return bool(client_id) and client_id[:8].lower() == "https://"


def owning_account() -> Account | None:
    """The account that owns the metadata documents' Apps, or None while they are off."""
    name = settings.OAUTH_CLIENT_METADATA_ACCOUNT
    if not name:
        return None
    query = Account.objects.filter(pk=int(name)) if name.isdigit() else Account.objects.filter(username=name)
    return query.filter(is_active=True).first()


def enabled() -> bool:
    """Whether the portal takes metadata documents (what discovery advertises)."""
    return bool(settings.OAUTH_CLIENT_METADATA_ACCOUNT)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def metadata_document_host(app: App) -> str | None:
    """The host serving a metadata document's App, which its consent page names first."""
    return host_of(app.client_id) if app.is_metadata_document else None


def _failure_key(url: str) -> str:
    return _FAILURE_KEY + hashlib.sha256(url.encode("utf-8")).hexdigest()


def failure(url: str) -> str | None:
    """Why the document at `url` could not be used lately (this process), if it could not."""
    remembered = cache.get(_failure_key(url))
    return remembered["reason"] if remembered else None


def _failed(url: str, reason: str, *, backoff: bool = True) -> None:
    """Remember why: for the error page, and (`backoff`) so that the document is not fetched
    again for CIMD_FAILURE_BACKOFF_SECONDS. A host refused by policy is no fetch failure: asked
    again at once, so that allowing it takes effect on the next request."""
    log.info("Client metadata document %s refused: %s", url, reason)
    remembered = {"reason": reason, "backoff": backoff}
    cache.set(_failure_key(url), remembered, oauth2_settings.CIMD_FAILURE_BACKOFF_SECONDS)


def _backing_off(url: str) -> bool:
    remembered = cache.get(_failure_key(url))
    return bool(remembered and remembered["backoff"])


def _permitted(url: str, request) -> bool:
    """django-oauth-toolkit's CIMD_REGISTRATION_PERMISSION_CLASSES, every one (none: refused)."""
    classes = oauth2_settings.CIMD_REGISTRATION_PERMISSION_CLASSES
    return bool(classes) and all(cls().has_permission(request, url) for cls in classes)


def resolve(client_id: str, app: App | None, request) -> App | None:
    """The App for `client_id` as the OAuth validator should see it: `app` (what the database
    holds) unchanged for any client_id that is not a metadata document's URL; for one, the App
    kept from its document, fetched first when it is new or stale (module docstring). None
    when the client is unknown."""
    if not is_document_id(client_id):
        return app
    if app is not None and not app.is_metadata_document:
        return app  # not expected: a key is never a URL
    owner = owning_account()
    if owner is None:
        return None  # off: such a client is unknown (its App, if any, stays as it is)
    now = timezone.now()
    if app is not None and app.cimd_expires_at is not None and now < app.cimd_expires_at:
        return app
    if app is not None and not app.enabled:
        return app  # disabled by its owner: kept as the owner saw it, never fetched meanwhile
    usable_copy = app if app is not None and _copy_usable(app, now) else None
    if not _permitted(client_id, request):
        _failed(client_id, f"its host {host_of(client_id)} is refused by this portal", backoff=False)
        return None
    if _backing_off(client_id):
        return usable_copy
    try:
        return _fetch_and_keep(client_id, app, owner, now)
    except MetadataDocumentError as error:
        _failed(client_id, str(error))
        return usable_copy


def _copy_usable(app: App, now) -> bool:
    fetched = app.metadata_fetched
    return fetched is not None and now < fetched + timedelta(
        seconds=oauth2_settings.CIMD_METADATA_MAX_AGE_SECONDS
    )


def _fetch_and_keep(url: str, app: App | None, owner: Account, now) -> App:
    if problem := document_url_problem(url):
        raise MetadataDocumentError(problem)
    host = host_of(url)
    recent = MetadataFetch.objects.filter(host=host, created__gte=now - FETCH_WINDOW).count()
    limit = settings.OAUTH_CLIENT_METADATA_FETCHES_PER_HOST
    if recent >= limit:
        raise MetadataDocumentError(
            f"its host {host} was asked for {limit} documents this past hour; try later"
        )
    MetadataFetch.objects.create(host=host)
    document, max_age = oauth2_settings.CIMD_METADATA_FETCHER().fetch(url)
    fields = app_fields(url, document, owner)
    fetched = {"cimd_expires_at": now + timedelta(seconds=max_age), "metadata_fetched": now}
    try:
        with transaction.atomic():
            if app is None:
                app = _create(url, owner, fields)
            else:
                fields.pop("api")  # an App's API is fixed once it exists
                app = app_update(actor=owner, app=app, origin=ORIGIN, **fields)
            App.objects.filter(pk=app.pk).update(**fetched)
    except ValidationError as error:
        raise MetadataDocumentError(_described(error)) from None
    for name, value in fetched.items():
        setattr(app, name, value)
    return app


def _create(url: str, owner: Account, fields: dict) -> App:
    """A new document's App, within OAUTH_CLIENT_METADATA_CAP (counted under a lock on the
    owning account's row, as app_create counts the App limit)."""
    Account.objects.select_for_update().only("pk").get(pk=owner.pk)
    cap = settings.OAUTH_CLIENT_METADATA_CAP
    if App.objects.filter(owner=owner, registration_source=App.RegistrationSource.CIMD).count() >= cap:
        raise ValidationError(f"this portal keeps at most {cap} metadata documents' clients", code="cap")
    try:
        with transaction.atomic():
            return app_create(
                actor=owner,
                owner=owner,
                client_id=url,
                public=True,
                unverified=True,
                registration_source=App.RegistrationSource.CIMD,
                origin=ORIGIN,
                **fields,
            )
    except DuplicateAppKey:
        return App.objects.get(client_id=url)  # another request kept the same document first


def app_fields(url: str, document: dict, owner: Account) -> dict:
    """The App fields a document gives, under the draft's rules: its client_id is the URL it was
    fetched from, exactly; a public client (token_endpoint_auth_method "none", no secret);
    redirect_uris required (each checked by the client's own rule: redirect_uris.py). The rest
    is RFC 7591 client metadata, read as registration reads it (registration.py); a missing
    client_name is the host, and the API is the one `scope` names, else UnifiedAPI."""
    if document.get("client_id") != url:
        raise MetadataDocumentError("its client_id is not exactly the URL it was fetched from")
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise MetadataDocumentError(
            "it carries a client_secret: a metadata document is for public clients only"
        )
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise MetadataDocumentError(
            f"its token_endpoint_auth_method is {method!r}: a metadata document is for public "
            'clients only ("none")'
        )
    scope = document.get("scope")
    named = [value for value in scope.split() if value in SCOPES] if isinstance(scope, str) else []
    body = {
        **document,
        "client_name": document.get("client_name") or host_of(url),
        # Without a homepage of its own, the origin that serves the document.
        "client_uri": document.get("client_uri") or f"https://{urlsplit(url).netloc}/",
        "scope": named[0] if len(named) == 1 else REGISTRATION_DEFAULT,
    }
    try:
        metadata = parse_client_metadata(body)
    except RegistrationError as error:
        raise MetadataDocumentError(error.description) from None
    fields = metadata.app_fields(default_email=owner.email)
    if fields["api"] not in Api.values:
        fields["api"] = REGISTRATION_DEFAULT
    return fields


def _described(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{FIELD_MEMBERS.get(field, field)}: {message}"
        for field, errors in error.error_dict.items()
        for message in ValidationError(errors).messages
    )
