"""Who is mailed what about an App change (design §3).

- The owning account's e-mail, which an account holds, gets every notice with every detail:
  who did it, through what, when, from which address.
- The App's admin e-mail gets it only once confirmed (App.email_confirmed: whoever reads it
  opened the link mailed to it once), and without the actor's name and address, which stay in
  the audit trail and the owner's mail. The address of an App that registered itself (RFC 7591
  `contacts`, a metadata document) is never confirmed, so never mailed; nor is one nobody
  confirmed.
- One letter per recipient per change: the same address twice (any case) gets one, and a bulk
  action's notices to one address are one digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from ..models import App, AuditEvent, EmailConfirmation
from .wording import NOTICES


@dataclass(frozen=True)
class Notice:
    """What one notice says about one App, taken inside the change's transaction (a removed App
    is gone by the time it is sent); JSON, as the outbox keeps it."""

    action: str
    app_name: str
    app_client_id: str
    app_url: str  # empty without the portal's public address, or once the App is removed
    account_name: str
    account_username: str
    actor_username: str | None  # None in a letter to the App's own address
    source: str
    ip_address: str | None
    when: str  # ISO 8601


def portal_url(path: str) -> str:
    """An absolute link into the portal, from its public address (PORTAL_BASE_URL, else
    OAUTH_ISSUER), never from a request's Host; empty when neither is set."""
    base = (settings.PORTAL_BASE_URL or settings.OAUTH_ISSUER).rstrip("/")
    return base + path if base else ""


def _notice(event: AuditEvent, app: App) -> Notice:
    owner = app.owner
    page = "" if NOTICES[event.action].app_gone else portal_url(reverse("apps_registry:edit", args=[app.pk]))
    return Notice(
        action=str(event.action),  # the value, not the AuditAction member
        app_name=event.app_name,
        app_client_id=event.app_client_id,
        app_url=page,
        account_name=owner.name,
        account_username=owner.get_username(),
        actor_username=event.actor_username,
        source=event.get_source_display(),
        ip_address=event.ip_address,
        when=event.created.isoformat(),
    )


def app_address_mailed(app: App) -> bool:
    """Whether the App's admin e-mail gets its notices: confirmed, and not the owner's own
    address (which gets them as the owner's)."""
    return (
        app.email_confirmed is not None
        and not app.client_rule
        and bool(app.email.strip())
        and app.email.strip().lower() != (app.owner.email or "").strip().lower()
    )


def letters_for(changes: Iterable[tuple[AuditEvent, App]]) -> list[dict]:
    """The letters a change (or a bulk action's changes) sends: one per recipient, each with
    the notices that recipient gets, in order. Actions without a notice are left out."""
    letters: dict[str, dict] = {}

    def add(address: str, notice: Notice) -> None:
        address = (address or "").strip()
        if address:
            letter = letters.setdefault(address.lower(), {"kind": "notices", "to": address, "notices": []})
            letter["notices"].append(asdict(notice))

    for event, app in changes:
        if event.action not in NOTICES:
            continue
        notice = _notice(event, app)
        add(app.owner.email, notice)
        if app_address_mailed(app):
            add(app.email, Notice(**{**asdict(notice), "actor_username": None, "ip_address": None}))
    return list(letters.values())


# A confirmation link names its EmailConfirmation row, signed with SECRET_KEY for this use only,
# and works this long after it is mailed.
CONFIRMATION_LIFETIME = timedelta(days=7)
_CONFIRMATION_SALT = "apps_registry.admin-email-confirmation"


def confirmation_token(confirmation_id: int) -> str:
    return signing.dumps(confirmation_id, salt=_CONFIRMATION_SALT, compress=False)


def confirmation_id(token: str) -> int:
    """The row a link names; signing.BadSignature (SignatureExpired after the lifetime) for any
    other string."""
    value = signing.loads(token, salt=_CONFIRMATION_SALT, max_age=CONFIRMATION_LIFETIME)
    if not isinstance(value, int):
        raise signing.BadSignature("not a confirmation")
    return value


def confirmation_letter(confirmation: EmailConfirmation) -> dict:
    """The letter that mails a confirmation link: only the row's id travels (the link is signed
    when the letter is sent, never stored)."""
    return {"kind": "confirmation", "to": confirmation.address, "confirmation": confirmation.pk}
