"""An App's life: create, update, enable or disable, remove (design §3)."""

from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from portal.audit import Origin

from ..crypto import generate_credential
from ..exceptions import DuplicateAppKey, ResourceServerNotAllowed
from ..models import App, AuditAction
from ._rules import (
    EDITABLE_FIELDS,
    REGISTRATION_FIELDS,
    BulkOutcome,
    _audit,
    _audit_many,
    _check_credential,
    _lock_manageable,
    _require_manager,
    check_api_allowed,
    check_app_limit,
    may_mark_resource_server,
)
from .contacts import ask_confirmation_on_change
from .credentials import _delete_issued_per_app
from .secrets import _new_secret


def app_create(
    *,
    actor: Account,
    owner: Account,
    api: str,
    name: str,
    homepage: str,
    email: str,
    redirect_uri: str,
    description: str = "",
    image_uri: str = "",
    phone: str = "",
    trusted: bool = False,
    resource_server: bool = False,
    client_id: str | None = None,
    client_secret: str | None = None,
    public: bool = False,
    extra_redirect_uris: list[str] | None = None,
    registration_source: str = App.RegistrationSource.MANUAL,
    unverified: bool = False,
    origin: Origin,
) -> App:
    """Create an App for `owner`, within the owner's App limit and the API its kind allows.

    `client_id` and `client_secret` may be given (the Add App form shows the generated pair
    before it is submitted); otherwise both are generated. A `public` App (RFC 6749 2.1, from
    RFC 7591 registration) has no secret and is never trusted. `registration_source` says how
    it came (made by a person; RFC 7591 "dcr"; a Client ID Metadata Document "cimd", whose
    client_id is the document's https URL), which decides its redirect-URL rule
    (redirect_uris.py); an `unverified` App (open registration, metadata documents) is never
    trusted nor a resource server.
    """
    _require_manager(actor, owner)
    check_api_allowed(owner=owner, api=api)
    if resource_server and not may_mark_resource_server(actor):
        raise ResourceServerNotAllowed()
    if public and (trusted or resource_server or client_secret is not None):
        raise ValueError("A public client has no secret and is neither trusted nor a resource server.")
    if unverified and (trusted or resource_server):
        raise ValueError("An unverified App is neither trusted nor a resource server.")
    if registration_source == App.RegistrationSource.CIMD:
        if not (public and unverified and client_id and client_id.startswith("https://")):
            raise ValueError(
                "A metadata document's App is public, unverified, and its key is the document's URL."
            )
    elif client_id is not None:
        _check_credential(client_id, "client_id")
    if client_secret is not None:
        _check_credential(client_secret, "client_secret")
    secret = client_secret or generate_credential()
    app = App(
        owner=owner,
        api=api,
        name=name,
        description=description,
        homepage=homepage,
        image_uri=image_uri,
        email=email,
        phone=phone,
        trusted=trusted,
        resource_server=resource_server,
        redirect_uri=redirect_uri,
        extra_redirect_uris=list(extra_redirect_uris or []),
        client_id=client_id or generate_credential(),
        client_type=App.CLIENT_PUBLIC if public else App.CLIENT_CONFIDENTIAL,
        registration_source=registration_source,
        unverified=unverified,
    )
    # The key's shape is checked above (or it was generated); its uniqueness is left to the
    # INSERT, which says so whether the key was taken long ago or a moment ago.
    app.full_clean(exclude=["client_id"])
    with transaction.atomic():
        # Lock the owner row, then count: concurrent creates for one owner queue here, so
        # none can pass the limit. (select_for_update() on the count itself is dropped.)
        Account.objects.select_for_update().only("pk").get(pk=owner.pk)
        check_app_limit(owner=owner)
        try:
            with transaction.atomic():
                app.save(force_insert=True)
        except IntegrityError as error:
            # The key is taken: in practice the same Add App form sent twice (its signed pair
            # is used once), possibly at the same moment.
            raise DuplicateAppKey() from error
        app.live_secrets = [] if public else [_new_secret(app, secret, actor=actor)]
        details = {"api": api, "client_type": "public"} if public else {"api": api}
        if registration_source == App.RegistrationSource.CIMD:
            details["metadata_document"] = app.client_id
        if said := ask_confirmation_on_change(app):
            details["admin_email"] = said
        _audit(actor=actor, app=app, action=AuditAction.CREATE, origin=origin, details=details)
    return app


def app_update(*, actor: Account, app: App, origin: Origin, **changes) -> App:
    """Change the editable fields of an App (EDITABLE_FIELDS, and REGISTRATION_FIELDS); records
    which ones changed."""
    unknown = set(changes) - {*EDITABLE_FIELDS, *REGISTRATION_FIELDS}
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    _require_manager(actor, app.owner)
    with transaction.atomic():
        app = App.objects.select_for_update(of=("self",)).select_related("owner").get(pk=app.pk)
        changed = [name for name, value in changes.items() if getattr(app, name) != value]
        if "resource_server" in changed and not may_mark_resource_server(actor):
            raise ResourceServerNotAllowed()
        if (app.is_public or app.unverified) and (changes.get("trusted") or changes.get("resource_server")):
            # A public client proves nothing at the token endpoint: never client_credentials. Nobody
            # vouches for an unverified one (open registration, a metadata document): the same.
            field = "trusted" if changes.get("trusted") else "resource_server"
            message, code = (
                ("A public client can be neither trusted nor a resource server.", "public_client")
                if app.is_public
                else (
                    "An App of an unverified developer can be neither trusted nor a resource server.",
                    "unverified_client",
                )
            )
            raise ValidationError({field: ValidationError(message, code=code)})
        for name in changed:
            setattr(app, name, changes[name])
        app.full_clean()
        if changed:
            details = {"fields": changed}
            saved = [*changed, "updated"]
            if "email" in changed:  # a new address: not confirmed (services/contacts.py)
                app.email_confirmed = None
                saved.append("email_confirmed")
            app.save(update_fields=saved)
            if "email" in changed and (said := ask_confirmation_on_change(app)):
                details["admin_email"] = said
            _audit(actor=actor, app=app, action=AuditAction.UPDATE, origin=origin, details=details)
    return app


def app_set_enabled(*, actor: Account, app: App, enabled: bool, origin: Origin) -> App:
    """Disable an App (no token for it, its tokens refused) or enable it again; DoesNotExist
    if it was removed meanwhile (apps_set_enabled, for one App)."""
    _require_manager(actor, app.owner)
    if apps_set_enabled(actor=actor, apps=[app], enabled=enabled, origin=origin).missing:
        raise App.DoesNotExist("The App was removed.")
    app.enabled = enabled
    return app


def apps_set_enabled(*, actor: Account, apps: Collection[App], enabled: bool, origin: Origin) -> BulkOutcome:
    """Disable (or enable) every App of `apps` in one transaction, all or nothing: a few
    statements whatever their number (the Apps locked in id order, one UPDATE, one INSERT of
    their audit rows, one outbox row for every notice: a digest per recipient). Every App must
    be within the actor's reach (PermissionDenied otherwise); those removed meanwhile are
    counted as missing."""
    ids = {app.pk for app in apps}
    outcome = BulkOutcome()
    with transaction.atomic():
        rows = _lock_manageable(actor, ids)
        outcome.missing = len(ids) - len(rows)
        outcome.changed = [app for app in rows if app.enabled != enabled]
        outcome.unchanged = len(rows) - len(outcome.changed)
        if outcome.changed:
            App.objects.filter(pk__in=[app.pk for app in outcome.changed]).update(
                enabled=enabled, updated=timezone.now()
            )
            for app in outcome.changed:
                app.enabled = enabled
            action = AuditAction.ENABLE if enabled else AuditAction.DISABLE
            _audit_many(actor=actor, apps=outcome.changed, action=action, origin=origin)
    return outcome


def app_remove(*, actor: Account, app: App, origin: Origin) -> dict:
    """Delete the App with all its tokens and codes. Returns how many of each went with it;
    DoesNotExist if it was removed meanwhile (apps_remove, for one App)."""
    _require_manager(actor, app.owner)
    outcome = apps_remove(actor=actor, apps=[app], origin=origin)
    if outcome.missing:
        raise App.DoesNotExist("The App was removed.")
    return outcome.counts[app.pk]


def apps_remove(*, actor: Account, apps: Collection[App], origin: Origin) -> BulkOutcome:
    """Delete every App of `apps` with all their tokens and codes, in one transaction, all or
    nothing: one DELETE per credential table for them all, their audit rows (each counting what
    went with its App) in one INSERT, one outbox row for every notice. Reach and missing Apps as
    apps_set_enabled."""
    ids = {app.pk for app in apps}
    outcome = BulkOutcome()
    with transaction.atomic():
        rows = _lock_manageable(actor, ids)
        outcome.missing = len(ids) - len(rows)
        if rows:
            found = [app.pk for app in rows]
            outcome.counts = _delete_issued_per_app(found)
            _audit_many(
                actor=actor, apps=rows, action=AuditAction.REMOVE, origin=origin, details=outcome.counts
            )
            App.objects.filter(pk__in=found).delete()
        outcome.changed = rows
    return outcome
