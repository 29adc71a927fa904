"""design §3 (issue 27): an App's admin e-mail is mailed its notices only once whoever reads it
confirms, by a link mailed to it once, at most ADMIN_EMAIL_CONFIRMATIONS_PER_DAY a day to one
address; the link's letter says nothing anyone typed; the admin e-mail of an App that registered
itself is never mailed at all."""

from __future__ import annotations

import re
import time

import pytest
from django.core import signing
from django.urls import reverse

from apps_registry import services
from apps_registry.models import App, AuditAction, AuditEvent, EmailConfirmation
from portal.audit import COMMAND_LINE
from tests.apps_registry.notices.helpers import APP_EMAIL, OWNER_EMAIL, body_lines
from tests.factories import AppFactory
from tests.helpers import add_url, deliver_outbox, delivered, form_data, messages_of

PORTAL = "https://portal.example.com"
EVIL_NAME = "URGENT: your account is suspended - verify at https://evil.example"


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.PORTAL_BASE_URL = PORTAL


def add_app(client, owner, **changes):
    """Add an App in the portal's form, as its owner."""
    client.force_login(owner)
    page = client.get(add_url(owner))
    data = {**form_data(page), "name": EVIL_NAME, "email": APP_EMAIL, **changes}
    response = client.post(add_url(owner), data)
    assert response.status_code in (200, 302), response.content[:2000]
    return App.objects.get(email=data["email"], owner=owner)


def link_in(message) -> str:
    [link] = re.findall(rf"{PORTAL}(/apps/email-confirmation/[^\s]+/)", message.body)
    return link


def test_a_typed_address_is_mailed_one_link_and_no_text_anyone_typed(client, demo, mailoutbox):
    with delivered():
        app = add_app(client, demo["user"])
    [message] = mailoutbox
    assert message.to == [APP_EMAIL] and message.subject == "Confirm the admin e-mail of an App"
    assert app.client_id in message.body and link_in(message)
    raw = message.message().as_string()
    for typed in (EVIL_NAME, "evil.example", demo["user"].name, "calendar.example/oauth"):
        assert typed not in raw
    assert app.email_confirmed is None
    assert (
        AuditEvent.objects.get(action=AuditAction.CREATE).details["admin_email"] == "confirmation link mailed"
    )


def test_until_confirmed_only_the_owner_hears_of_a_change(client, demo, mailoutbox):
    app = add_app(client, demo["user"])
    deliver_outbox()
    mailoutbox.clear()
    with delivered():
        services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
        services.app_set_enabled(actor=demo["user"], app=app, enabled=True, origin=COMMAND_LINE)
        services.app_regenerate_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)
    assert {message.to[0] for message in mailoutbox} == {OWNER_EMAIL}
    assert len(mailoutbox) == 3


def test_the_link_shows_what_it_confirms_and_confirms_on_post_only(client, demo, mailoutbox):
    with delivered():
        app = add_app(client, demo["user"])
    link = link_in(mailoutbox[0])
    client.logout()  # whoever reads the address need not have an account

    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert APP_EMAIL in html and app.client_id in html and EVIL_NAME not in html
    assert App.objects.get(pk=app.pk).email_confirmed is None  # a mail scanner's GET changes nothing

    done = client.post(link)
    assert done.status_code == 200 and 'id="confirm-done"' in done.content.decode()
    assert App.objects.get(pk=app.pk).email_confirmed is not None
    event = AuditEvent.objects.get(action=AuditAction.CONFIRM_EMAIL)
    assert (event.actor_id, event.actor_username, event.app_id) == (None, APP_EMAIL, app.pk)

    again = client.post(link)
    assert again.status_code == 400 and "used already" in again.content.decode()


def test_once_confirmed_the_address_hears_of_a_change_without_who_or_from_where(client, demo, mailoutbox):
    with delivered():
        app = add_app(client, demo["user"])
    client.post(link_in(mailoutbox[0]))
    mailoutbox.clear()
    with delivered():
        services.app_set_enabled(
            actor=demo["organization"], app=App.objects.get(pk=app.pk), enabled=False, origin=COMMAND_LINE
        )
    [developers] = [message for message in mailoutbox if message.to == [APP_EMAIL]]
    [owners] = [message for message in mailoutbox if message.to == [OWNER_EMAIL]]
    assert "Done by" not in developers.body and "From address" not in developers.body
    assert "audit trail" in developers.body
    assert body_lines(owners)["Done by"] == "organization"


def test_a_forged_or_expired_link_is_refused(client, demo, mailoutbox, monkeypatch):
    with delivered():
        app = add_app(client, demo["user"])
    link = link_in(mailoutbox[0])
    assert (
        client.post(link.replace("/apps/email-confirmation/", "/apps/email-confirmation/x")).status_code
        == 400
    )
    forged = reverse("apps_registry:confirm_email", args=[signing.dumps(app.pk, salt="another use")])
    assert client.get(forged).status_code == 400 and client.post(forged).status_code == 400
    later = time.time() + 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = client.post(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert App.objects.get(pk=app.pk).email_confirmed is None


def test_a_new_address_is_not_confirmed_and_the_old_link_no_longer_works(client, demo, mailoutbox):
    with delivered():
        app = add_app(client, demo["user"])
    old_link = link_in(mailoutbox[0])
    client.post(old_link)
    mailoutbox.clear()
    with delivered():
        app = services.app_update(
            actor=demo["user"],
            app=App.objects.get(pk=app.pk),
            origin=COMMAND_LINE,
            email="ops@calendar.example",
        )
    assert app.email_confirmed is None
    [message] = mailoutbox
    assert message.to == ["ops@calendar.example"]
    assert client.post(old_link).status_code == 400  # used, and for another address


def test_the_links_to_one_address_are_limited_per_day(client, demo, settings, mailoutbox):
    settings.ADMIN_EMAIL_CONFIRMATIONS_PER_DAY = 2
    with delivered():
        for owner in ("user", "user2", "organization"):  # three accounts naming one address
            add_app(client, demo[owner], email=APP_EMAIL.upper() if owner == "user2" else APP_EMAIL)
    assert len(mailoutbox) == 2
    third = AuditEvent.objects.filter(action=AuditAction.CREATE).order_by("pk").last()
    assert third.details["admin_email"].startswith("confirmation link not mailed: This address was mailed 2")
    assert EmailConfirmation.objects.count() == 2


def test_the_apps_page_says_so_and_mails_a_new_link_only_when_allowed(client, demo, mailoutbox, settings):
    with delivered():
        app = add_app(client, demo["user"])
    page = client.get(reverse("apps_registry:edit", args=[app.pk])).content.decode()
    assert "Not confirmed: the App&#x27;s notices go to the owning account&#x27;s address only" in page
    assert 'id="ask-email-confirmation"' in page

    response = client.post(reverse("apps_registry:ask_email_confirmation", args=[app.pk]), follow=True)
    assert "still valid" in " ".join(messages_of(response))  # the first link has not expired

    EmailConfirmation.objects.update(created=EmailConfirmation.objects.get().created.replace(year=2000))
    with delivered():
        response = client.post(reverse("apps_registry:ask_email_confirmation", args=[app.pk]), follow=True)
    assert f"A confirmation link is on its way to {APP_EMAIL}." in messages_of(response)
    assert [message.to for message in mailoutbox] == [[APP_EMAIL], [APP_EMAIL]]
    assert AuditEvent.objects.filter(action=AuditAction.EMAIL_LINK).count() == 1


def test_no_link_without_the_portals_public_address(client, demo, settings, mailoutbox):
    settings.PORTAL_BASE_URL = settings.OAUTH_ISSUER = ""
    with delivered():
        app = add_app(client, demo["user"])
    assert mailoutbox == []
    assert "admin_email" not in AuditEvent.objects.get(action=AuditAction.CREATE).details
    with pytest.raises(Exception, match="PORTAL_BASE_URL"):
        services.app_email_confirmation_ask(actor=demo["user"], app=app, origin=COMMAND_LINE)


def test_the_owners_own_address_needs_no_link(client, demo, mailoutbox):
    with delivered():
        add_app(client, demo["user"], email=OWNER_EMAIL)
    assert mailoutbox == []


def test_an_app_that_registered_itself_is_never_offered_a_link(demo):
    app = AppFactory(owner=demo["user"], email=APP_EMAIL, registration_source=App.RegistrationSource.DCR)
    with pytest.raises(Exception, match="registered itself") as refused:
        services.app_email_confirmation_ask(actor=demo["user"], app=app, origin=COMMAND_LINE)
    assert refused.value.code == "email_from_registrant"
