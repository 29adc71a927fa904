"""E-mail notices of the App changes its developer and its owner must hear about (design §3): a
secret added, removed or regenerated, the App disabled, enabled or removed.

`services._audit`, which every App change passes through whatever its entry point (the portal,
/oauth/register.php, the Django admin, the command line), calls `notify`. The notice goes out
once the change's transaction commits, so a change that is rolled back sends nothing; it goes
to the App's admin e-mail and to its owner account's e-mail, one message to each, so neither
address is shown to the other. It never holds a secret or a token. A failure to send is logged
in one line and never fails or undoes the change.
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import App, AuditAction, AuditEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wording:
    """What a notice says: its subject (before the App's name) and its first paragraph."""

    title: str
    what: str
    app_gone: bool = False  # the App no longer exists: no link to its page


# Keyed by the audit action (AuditEvent.action).
NOTICES: dict[str, Wording] = {
    AuditAction.ADD_SECRET: Wording(
        "Secret added",
        "A new secret was added to the App. Each of the App's secrets works at the token endpoint "
        "until it is removed; the new one is shown only in the portal, never by e-mail.",
    ),
    AuditAction.REMOVE_SECRET: Wording(
        "Secret removed",
        "A secret of the App was removed: it no longer works, and every token issued with it was "
        "revoked. The App's other secret and its tokens keep working.",
    ),
    AuditAction.REGENERATE_SECRET: Wording(
        "Secret regenerated",
        "The App's secret was regenerated: its previous secret no longer works, and every token "
        "and authorization code of the App was revoked. The App must use the new secret, shown "
        "only in the portal, never by e-mail.",
    ),
    AuditAction.DISABLE: Wording(
        "App disabled",
        "The App was disabled: it gets no token, and its tokens are refused until it is enabled again.",
    ),
    AuditAction.ENABLE: Wording(
        "App enabled",
        "The App was enabled again: it may get tokens, and its tokens that have not expired work again.",
    ),
    AuditAction.REMOVE: Wording(
        "App removed",
        "The App was removed, with every token and authorization code it held. This cannot be undone.",
        app_gone=True,
    ),
}

# After a mail server timed out or could not be reached, this process does not try again for
# this many seconds (each notice meanwhile is logged as not sent): a dead server costs one
# request one EMAIL_TIMEOUT, not every request, nor a bulk action one timeout per App.
QUIET_AFTER_FAILURE = 60
_quiet_until = 0.0

# The server answered (it refused a recipient, the sender, the message, the sign-in): it is
# up, so the next notice is tried as usual.
_ANSWERED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


@dataclass(frozen=True)
class Notice:
    """What one notice says, taken inside the change's transaction (a removed App is gone by
    the time it is sent)."""

    action: str
    recipients: tuple[str, ...]
    app_name: str
    app_client_id: str
    app_url: str  # empty without PORTAL_BASE_URL, or once the App is removed
    account_name: str
    account_username: str
    actor_username: str
    source: str
    ip_address: str | None
    when: datetime

    @property
    def wording(self) -> Wording:
        return NOTICES[self.action]


def recipients(*addresses: str) -> tuple[str, ...]:
    """The addresses given, without empty ones and without repeats (case aside), in order."""
    seen: dict[str, str] = {}
    for address in addresses:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen[address.lower()] = address
    return tuple(seen.values())


def notify(*, event: AuditEvent, app: App) -> None:
    """design §3: once the change's transaction commits, notify the App's admin e-mail and its
    owner account's e-mail of `event`, when its action is one of NOTICES."""
    wording = NOTICES.get(event.action)
    if wording is None:
        return
    owner = app.owner
    to = recipients(app.email, owner.email)
    if not to:
        return
    base_url = settings.PORTAL_BASE_URL.rstrip("/")
    notice = Notice(
        action=str(event.action),  # the value, not the AuditAction member
        recipients=to,
        app_name=event.app_name,
        app_client_id=event.app_client_id,
        app_url=""
        if wording.app_gone or not base_url
        else base_url + reverse("apps_registry:edit", args=[app.pk]),
        account_name=owner.name,
        account_username=owner.get_username(),
        actor_username=event.actor_username,
        source=event.get_source_display(),
        ip_address=event.ip_address,
        when=event.created,
    )
    transaction.on_commit(lambda: deliver(notice))


def messages(notice: Notice) -> list[mail.EmailMessage]:
    """One plain-text message per recipient."""
    when = timezone.localtime(notice.when)
    body = render_to_string(
        "apps_registry/app_notice.txt",
        {"notice": notice, "what": notice.wording.what, "when": f"{when:%Y-%m-%d %H:%M:%S %z (%Z)}"},
    )
    subject = " ".join(f"{notice.wording.title}: {notice.app_name}".split())  # one header line
    return [
        mail.EmailMessage(
            subject,
            body,
            to=[address],
            # RFC 3834: auto-responders do not answer it.
            headers={"Auto-Submitted": "auto-generated"},
        )
        for address in notice.recipients
    ]


def deliver(notice: Notice) -> None:
    """Send the notice over one connection. A failure is never an exception: it is one log line
    naming the action, the App ID/key and the error, never the message itself."""
    global _quiet_until
    try:
        outgoing = messages(notice)
    except Exception as error:  # a notice must never fail the change it reports
        _unsent(notice, 0, error)
        return
    if time.monotonic() < _quiet_until:
        _unsent(notice, 0, "not tried: the mail server failed less than a minute ago")
        return
    sent = 0
    try:
        with mail.get_connection() as connection:
            for message in outgoing:
                try:
                    sent += connection.send_messages([message])
                except _ANSWERED as error:  # that recipient refused: the others still get theirs
                    _unsent(notice, sent, error)
    except Exception as error:  # as above
        if not isinstance(error, _ANSWERED):
            _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE
        _unsent(notice, sent, error)


def _unsent(notice: Notice, sent: int, reason: Exception | str) -> None:
    if isinstance(reason, Exception):
        reason = " ".join(f"{type(reason).__name__}: {reason}".split())[:300]
    logger.error(
        "Notice %s of App %s not sent (%d of %d message(s) sent): %s",
        notice.action,
        notice.app_client_id,
        sent,
        len(notice.recipients),
        reason,
    )
