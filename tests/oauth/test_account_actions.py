"""OAuth's actions on an account (initial access tokens) are declared by oauth and listed on the
accounts' trail through OAuthConfig.account_actions: the same labels, filterable, with no
import from accounts up to oauth."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountAction, AccountEvent, account_action_choices
from oauth.audit import OAuthAccountAction
from oauth.services import initial_access_token_create, initial_access_token_revoke
from portal.audit import Origin

pytestmark = pytest.mark.django_db
ORIGIN = Origin(source="portal", ip_address="192.0.2.1")


def test_the_account_actions_are_the_accounts_then_oauths():
    assert account_action_choices() == [*AccountAction.choices, *OAuthAccountAction.choices]
    field = AccountEvent._meta.get_field("action")
    assert dict(field.flatchoices)["iat_create"] == "Initial access token created"


def test_the_trail_shows_and_filters_oauths_actions_by_their_labels(client, demo):
    account = demo["user"]
    iat, _token = initial_access_token_create(
        actor=account,
        account=account,
        name="ci",
        expires=timezone.now() + timedelta(days=1),
        max_uses=1,
        origin=ORIGIN,
    )
    initial_access_token_revoke(actor=account, token=iat, origin=ORIGIN)
    revoked = AccountEvent.objects.get(action="iat_revoke")
    assert revoked.get_action_display() == "Initial access token revoked"
    client.force_login(account)
    url = reverse("apps_registry:audit", args=[account.pk])

    page = client.get(url, {"action": "account:iat_revoke"})

    assert ("account:iat_revoke", "Initial access token revoked") in page.context["action_choices"]
    assert page.context["filters"].action == "account:iat_revoke"
    assert [event.action for event in page.context["page"].object_list] == ["iat_revoke"]
    assert [event.get_action_display() for event in page.context["page"].object_list] == [
        "Initial access token revoked"
    ]
