"""The outbox: letters leave the request as a django-tasks task (database backend), written in
the transaction of the change they report, so a change rolled back sends nothing and a change
committed cannot lose its letters; `manage.py db_worker` sends them.

The worker sends a task's letters over one connection. A recipient the server refuses for good
(5xx) is logged and dropped; a server that cannot be reached, times out or answers "try later"
(4xx) leaves that letter and the rest for a new task, due after RETRY_AFTER (1 minute, then 5,
15, 60, 60): after MAX_ATTEMPTS the letters are logged as not sent. Each problem is one log
line naming the actions and App IDs, never an address or a message's text.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from ..models import EmailConfirmation
from .letters import CONFIRMATION_LIFETIME, confirmation_token, portal_url
from .wording import NOTICES

logger = logging.getLogger("apps_registry.notices")

# How long sent (or failed) letters stay in the outbox, for whoever looks into a delivery: they
# hold addresses and Apps' names, so purge_expired deletes them after this.
KEPT_AFTER_SENDING = timedelta(days=7)
MAX_ATTEMPTS = 6
RETRY_AFTER = (60, 300, 900, 3600, 3600)  # seconds before the 2nd, 3rd... attempt
# RFC 3834: auto-responders do not answer these.
HEADERS = {"Auto-Submitted": "auto-generated"}


def purge_outbox(now: datetime) -> int:
    """Delete the letters finished (sent, or failed) more than KEPT_AFTER_SENDING ago, and the
    confirmation links that can no longer be used nor counted. Returns how many letters went."""
    EmailConfirmation.objects.filter(created__lt=now - max(CONFIRMATION_LIFETIME, timedelta(days=1))).delete()
    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=now - KEPT_AFTER_SENDING,
    )
    return finished.delete()[0]


def enqueue(letters: list[dict]) -> None:
    """Write the letters to the outbox, in the caller's transaction."""
    if letters:
        send_letters.enqueue(letters=letters)


@task()
def send_letters(letters: list[dict], attempt: int = 1) -> dict:
    """Send each letter; defer those the mail server could not take now (module docstring).
    Returns the counts, which the outbox row keeps (never an address)."""
    sent = dropped = 0
    pending = list(letters)
    deferred: list[dict] = []
    try:
        with mail.get_connection() as connection:
            while pending:
                letter = pending[0]
                try:
                    message = _message(letter)
                except Exception as error:  # a letter that cannot be written is dropped, once
                    _log(letter, f"not written: {_reason(error)}")
                    message = None
                if message is None:
                    dropped += 1
                else:
                    try:
                        sent += connection.send_messages([message])
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                        if _temporary(error):
                            deferred.append(letter)
                        else:
                            dropped += 1
                            _log(letter, f"refused: {_reason(error)}")
                pending.pop(0)
    except Exception as error:  # the server is unreachable, timed out or hung up: the rest waits
        deferred.extend(pending)
        if deferred:
            _log(deferred[0], f"deferred with {len(deferred) - 1} other letter(s): {_reason(error)}")
    if deferred:
        if attempt < MAX_ATTEMPTS:
            later = timezone.now() + timedelta(seconds=RETRY_AFTER[attempt - 1])
            send_letters.using(run_after=later).enqueue(letters=deferred, attempt=attempt + 1)
        else:
            for letter in deferred:
                _log(letter, f"not sent after {MAX_ATTEMPTS} attempts")
    return {"sent": sent, "dropped": dropped, "deferred": len(deferred), "attempt": attempt}


def _message(letter: dict) -> mail.EmailMessage | None:
    if letter["kind"] == "confirmation":
        return _confirmation_message(letter)
    return _notices_message(letter)


def _notices_message(letter: dict) -> mail.EmailMessage:
    """One plain-text message: one notice, or a digest of a bulk action's."""
    notices = [
        {
            **notice,
            "when": _when(notice["when"]),
            "full": notice["actor_username"] is not None,
            "gone": NOTICES[notice["action"]].app_gone,
        }
        for notice in letter["notices"]
    ]
    actions = {notice["action"] for notice in notices}
    wording = NOTICES[notices[0]["action"]]
    if len(notices) == 1:
        subject, what = f"{wording.title}: {notices[0]['app_name']}", wording.what
    elif len(actions) == 1:
        subject, what = f"{wording.title}: {len(notices)} Apps", wording.what_many
    else:
        subject, what = f"App changes: {len(notices)} Apps", ""
    body = render_to_string(
        "apps_registry/app_notice.txt",
        {"what": what, "notices": notices, "all_full": all(notice["full"] for notice in notices)},
    )
    subject = " ".join(subject.split())  # one header line
    return mail.EmailMessage(subject, body, to=[letter["to"]], headers=HEADERS)


def _confirmation_message(letter: dict) -> mail.EmailMessage | None:
    """The link that confirms an admin e-mail; none when the App, or its address, changed since
    (the row is gone, confirmed, or names another address) or the link would be expired."""
    confirmation = EmailConfirmation.objects.select_related("app").filter(pk=letter["confirmation"]).first()
    if confirmation is None or confirmation.confirmed is not None:
        return None
    app = confirmation.app
    if app.email.strip().lower() != confirmation.address_key or app.email_confirmed is not None:
        return None
    if timezone.now() >= confirmation.created + CONFIRMATION_LIFETIME:
        return None
    link = portal_url(reverse("apps_registry:confirm_email", args=[confirmation_token(confirmation.pk)]))
    if not link:
        return None
    body = render_to_string(
        "apps_registry/app_email_confirmation.txt",
        {
            "portal": portal_url("/"),
            "client_id": app.client_id,
            "link": link,
            "days": CONFIRMATION_LIFETIME.days,
        },
    )
    return mail.EmailMessage(
        "Confirm the admin e-mail of an App", body, to=[confirmation.address], headers=HEADERS
    )


def _when(value: str) -> str:
    when = timezone.localtime(datetime.fromisoformat(value))
    return f"{when:%Y-%m-%d %H:%M:%S %z (%Z)}"


def _temporary(error: Exception) -> bool:
    """A 4xx answer: the server asks to try later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    return 400 <= getattr(error, "smtp_code", 0) < 500


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):  # its text names the address: not logged
        codes = ", ".join(str(code) for code, _ in error.recipients.values())
        return f"SMTPRecipientsRefused: {codes}"
    return " ".join(f"{type(error).__name__}: {error}".split())[:300]


def _log(letter: dict, what: str) -> None:
    """One line about a letter: its actions and App IDs, never its address or text."""
    if letter["kind"] == "confirmation":
        about = f"admin e-mail confirmation #{letter['confirmation']}"
    else:
        actions = sorted({notice["action"] for notice in letter["notices"]})
        keys = [notice["app_client_id"] for notice in letter["notices"]]
        shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        about = f"notice {'/'.join(actions)} of App {shown}"
    logger.error("Letter (%s) %s", about, what)
