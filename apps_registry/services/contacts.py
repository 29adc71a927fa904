"""An App's admin e-mail (design §3): which addresses the notices may go to, the confirmation
link mailed once to a typed one, and its confirmation.

- The admin e-mail of an App a person made (the portal, the Django admin, the command line,
  register.php's consent) is mailed only once whoever reads it opens the link mailed to it and
  confirms (App.email_confirmed; cleared when the address changes). The link is mailed when the
  address is set (and again only when the owner asks, on the App's page, once the previous one
  has expired), at most ADMIN_EMAIL_CONFIRMATIONS_PER_DAY times a day to one address whatever
  the Apps naming it, and says nothing anyone typed.
- The admin e-mail of an App that registered itself (RFC 7591 `contacts`, a metadata document)
  is never mailed, nor sent a link: its registrant may replace it at any time (RFC 7592's
  update, its document), so it is information only.
- The owning account's own address needs neither: the owner's notices go there anyway.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from portal.audit import Origin

from .. import notices
from ..models import App, AuditAction, AuditEvent, EmailConfirmation
from ._rules import _audit, _require_manager

CONFIRMATION_WINDOW = timedelta(days=1)


def _is_owners(app: App) -> bool:
    return app.email.strip().lower() == (app.owner.email or "").strip().lower()


def _lock_address(key: str) -> None:
    """Serialise the count and the insert of links to one address: PostgreSQL's transaction
    lock on the address's hash (SQLite's writers queue at one lock already)."""
    if connection.vendor == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _why_not(app: App, *, now) -> ValidationError | None:
    """Why no link may be mailed to the App's admin e-mail now (None: it may)."""
    if app.email_confirmed is not None:
        return ValidationError("The admin e-mail is confirmed already.", code="email_confirmed")
    if app.client_rule:
        return ValidationError(
            "The App registered itself: its registrant may change its admin e-mail at any time, so it "
            "is never mailed.",
            code="email_from_registrant",
        )
    if _is_owners(app):
        return ValidationError(
            "The admin e-mail is the owning account's address, which gets the notices anyway.",
            code="email_is_owners",
        )
    if not notices.portal_url("/"):
        return ValidationError(
            "No link can be mailed: set PORTAL_BASE_URL (or OAUTH_ISSUER) to the portal's public address.",
            code="no_portal_address",
        )
    key = app.email.strip().lower()
    if EmailConfirmation.objects.filter(
        app_id=app.pk,
        address_key=key,
        confirmed__isnull=True,
        created__gte=now - notices.CONFIRMATION_LIFETIME,
    ).exists():
        return ValidationError(
            "A link mailed to this address for this App is still valid: it works for %(days)d days.",
            code="confirmation_pending",
            params={"days": notices.CONFIRMATION_LIFETIME.days},
        )
    limit = settings.ADMIN_EMAIL_CONFIRMATIONS_PER_DAY
    _lock_address(key)
    if (
        EmailConfirmation.objects.filter(address_key=key, created__gte=now - CONFIRMATION_WINDOW).count()
        >= limit
    ):
        return ValidationError(
            "This address was mailed %(limit)d confirmation link(s) in the past 24 hours: try tomorrow.",
            code="confirmation_limit_reached",
            params={"limit": limit},
        )
    return None


def _mail_link(app: App) -> EmailConfirmation:
    confirmation = EmailConfirmation.objects.create(
        app=app, address=app.email.strip(), address_key=app.email.strip().lower()
    )
    notices.ask_confirmation(confirmation)
    return confirmation


def ask_confirmation_on_change(app: App) -> str | None:
    """The admin e-mail was just set (in the caller's transaction): mail it a link when it may
    be mailed one. Returns what happened, for the change's audit details (None: nothing to say)."""
    if app.email_confirmed is not None or app.client_rule or _is_owners(app):
        return None
    refusal = _why_not(app, now=timezone.now())
    if refusal is not None and refusal.code == "no_portal_address":
        return None  # the operator's to set (check --deploy, portal.W010), not this App's to say
    if refusal is not None:
        return "confirmation link not mailed: " + refusal.messages[0]
    _mail_link(app)
    return "confirmation link mailed"


def app_email_confirmation_ask(*, actor: Account, app: App, origin: Origin) -> None:
    """Mail the App's admin e-mail a confirmation link again (the App's page): refused with a
    ValidationError saying why when it may not be (confirmed already, the registrant's, the
    owner's own, a link still valid, the day's limit for the address, no public address)."""
    _require_manager(actor, app.owner)
    with transaction.atomic():
        app = App.objects.select_for_update(of=("self",)).select_related("owner").get(pk=app.pk)
        refusal = _why_not(app, now=timezone.now())
        if refusal is not None:
            raise refusal
        _mail_link(app)
        _audit(actor=actor, app=app, action=AuditAction.EMAIL_LINK, origin=origin)


def app_email_confirm(*, token: str, origin: Origin) -> App:
    """Whoever reads the address opened the link and pressed Confirm: the App's notices go to
    it from now on. A link that is forged, expired, used, or names an address the App no longer
    has is refused (ValidationError, code invalid_link); the audit row names the address as who
    did it (nobody signs in to confirm)."""
    try:
        confirmation_id = notices.confirmation_id(token)
    except signing.BadSignature:
        raise ValidationError("This link is not valid, or it has expired.", code="invalid_link") from None
    with transaction.atomic():
        confirmation = (
            EmailConfirmation.objects.select_for_update(of=("self",))
            .select_related("app__owner")
            .filter(pk=confirmation_id)
            .first()
        )
        app = confirmation.app if confirmation is not None else None
        if (
            app is None
            or confirmation.confirmed is not None
            or app.email.strip().lower() != confirmation.address_key
            or app.email_confirmed is not None
            or app.client_rule
        ):
            raise ValidationError(
                "This link was used already, or the App's admin e-mail has changed since it was mailed.",
                code="invalid_link",
            )
        now = timezone.now()
        confirmation.confirmed = now
        confirmation.save(update_fields=["confirmed"])
        App.objects.filter(pk=app.pk).update(email_confirmed=now)
        app.email_confirmed = now
        AuditEvent.objects.create(
            actor=None,
            actor_username=confirmation.address[:150],
            account_id=app.owner_id,
            app=app,
            app_name=app.name,
            app_client_id=app.client_id,
            action=AuditAction.CONFIRM_EMAIL,
            source=origin.source,
            ip_address=origin.ip_address,
        )
    return app
