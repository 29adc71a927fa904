"""register.php asked for a UnifiedAPI App (issue 15, item 8): a Service Provider signed in is
told plainly that it cannot register it and offered only Deny; signed out, the page says before
sign-in which accounts cannot."""

import pytest

from apps_registry.models import App
from tests.helpers import query
from tests.oauth.test_register import PARAMS, REGISTER, decide, start

pytestmark = pytest.mark.django_db


def buttons(page) -> list[str]:
    import re

    return re.findall(r'name="action" value="(\w+)"', page.content.decode())


def test_a_service_provider_asking_for_unifiedapi_is_offered_only_deny(client, demo):
    client.force_login(demo["provider"])

    page = start(client)

    html = page.content.decode()
    assert 'id="register-refused"' in html
    assert "This App cannot be registered to this account." in html
    assert "Service Provider accounts cannot register UnifiedAPI Apps" in html
    assert buttons(page) == ["switch", "deny"]  # no Register
    assert 'name="grant_access"' not in html
    got = query(decide(client, page, action="deny")["Location"])
    assert got["error"] == ["access_denied"]
    assert not App.objects.exists()


def test_a_service_provider_asking_for_systemapi_may_register(client, demo):
    client.force_login(demo["provider"])

    page = start(client, api="systemapi")

    assert 'id="register-refused"' not in page.content.decode()
    assert buttons(page) == ["switch", "register", "deny"]


@pytest.mark.parametrize("persona", ["organization", "user"])
def test_accounts_that_may_own_unifiedapi_apps_see_no_refusal(persona, client, demo):
    client.force_login(demo[persona])

    page = start(client)

    assert "cannot register" not in page.content.decode()
    assert "register" in buttons(page) and 'name="grant_access"' in page.content.decode()


def test_signed_out_the_page_says_before_sign_in_that_service_providers_cannot(client, demo):
    unified = start(client)
    system = start(client, api="systemapi")

    assert 'id="unified-notice"' in unified.content.decode()
    assert "Service Provider accounts cannot register UnifiedAPI Apps" in unified.content.decode()
    assert "register" in buttons(unified)  # not certain yet: the account is not known
    assert 'id="unified-notice"' not in system.content.decode()
    assert PARAMS["name"] in unified.content.decode() and REGISTER
