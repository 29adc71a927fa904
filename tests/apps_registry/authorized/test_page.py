"""Authorized Apps (design §8): the page of the Apps an account authorized, and Revoke
access from it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import AppAuthorization, AuditAction, AuditEvent
from tests.apps_registry.authorized.helpers import authorized_url, grant, held, revoke_url
from tests.helpers import REACH, list_url, messages_of, plain, text

pytestmark = pytest.mark.django_db


# --- the page ---------------------------------------------------------------------------------


def test_the_page_lists_each_authorized_app_with_its_public_details(client, demo, apps, make_tokens):
    user = demo["user"]
    apps["calendar"].image_uri = "https://calendar.example/logo.png"
    apps["calendar"].save()
    grant(apps["calendar"], user, make_tokens, tokens=3)
    grant(apps["own"], user, make_tokens)
    AppAuthorization.objects.filter(app=apps["calendar"]).update(last_used=timezone.now())
    client.force_login(user)

    response = client.get(authorized_url(user))

    assert response.status_code == 200
    page = plain(response)
    assert "Apps authorized to act for user" in page
    assert "Calendar" in page and "UnifiedAPI" in page and "developer@app.example" in page
    assert "https://app.example/" in page
    assert 'src="https://calendar.example/logo.png"' in text(response)
    row = text(response).split('id="authorized-' + str(apps["calendar"].pk) + '"')[1].split("</tr>")[0]
    assert '<td class="col-tokens text-end">3</td>' in row
    assert "Never" not in row
    assert "CRM" not in page


def test_an_owner_out_of_reach_is_never_shown(client, demo, apps, make_tokens):
    """organization2 owns Calendar; the demo user may not see it: neither its name nor a link to
    the App's page (which would be a 404), only the App's own public details."""
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens)
    grant(apps["own"], user, make_tokens)
    client.force_login(user)

    response = client.get(authorized_url(user))

    assert "organization2" not in text(response)
    assert apps["calendar"].get_absolute_url() not in text(response)
    # The App the user owns: its owner is in reach, so named and linked.
    assert apps["own"].get_absolute_url() in text(response)
    assert "Owned by user" in plain(response)


def test_an_administrator_sees_the_owner_in_its_tree(client, demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)
    client.force_login(demo["admin"])

    response = client.get(authorized_url(demo["user"]))

    assert "Owned by organization2" in plain(response)


def test_the_page_says_when_nothing_is_authorized(client, demo):
    client.force_login(demo["user"])

    response = client.get(authorized_url(demo["user"]))

    assert "No App is authorized to act for user." in plain(response)


@pytest.mark.parametrize(("actor", "target"), [(actor, target) for actor in REACH for target in REACH])
def test_the_page_is_for_the_account_and_its_managers_only(actor, target, client, demo):
    client.force_login(demo[actor])

    response = client.get(authorized_url(demo[target]))
    confirm = client.get(revoke_url(demo[target]), {"app": "1"})

    expected = 200 if target in REACH[actor] else 404
    assert response.status_code == expected
    assert confirm.status_code == (302 if expected == 200 else 404)


def test_revoke_one_app_asks_first_then_revokes(client, demo, apps, make_tokens):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens, tokens=2)
    client.force_login(user)

    confirm = client.get(revoke_url(user), {"app": apps["calendar"].pk})
    assert confirm.status_code == 200
    assert "Revoke the access of “Calendar”?" in plain(confirm)
    assert "2 live access tokens stop working" in plain(confirm)
    assert held(apps["calendar"], user)["grant"]  # nothing done by asking

    done = client.post(revoke_url(user), {"app": apps["calendar"].pk, "confirmed": "yes"})

    assert done.status_code == 302 and done["Location"] == authorized_url(user)
    assert held(apps["calendar"], user) == {"grant": False, "access": 0, "refresh": 0, "codes": 0}
    assert messages_of(done) == ["Revoked the access of “Calendar” to user."]
    event = AuditEvent.objects.get(action=AuditAction.REVOKE_ACCESS)
    assert event.source == "portal"


def test_revoke_the_selected_apps(client, demo, apps, make_tokens):
    user = demo["user"]
    for app in apps.values():
        grant(app, user, make_tokens)
    client.force_login(user)

    confirm = client.post(revoke_url(user), {"app": [apps["calendar"].pk, apps["crm"].pk]})
    assert "Revoke the access of 2 Apps?" in plain(confirm)
    client.post(revoke_url(user), {"app": [apps["calendar"].pk, apps["crm"].pk], "confirmed": "yes"})

    assert list(AppAuthorization.objects.values_list("app__name", flat=True)) == ["Own"]


def test_revoke_ignores_apps_not_authorized_for_the_account(client, demo, apps, make_tokens):
    """An id of an App the account never authorized (or another account's grant) does nothing."""
    user = demo["user"]
    grant(apps["calendar"], demo["user2"], make_tokens)
    client.force_login(user)

    response = client.post(
        revoke_url(user), {"app": [apps["calendar"].pk, "x", "99999999"], "confirmed": "yes"}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Select one or more Apps to revoke their access."]
    assert held(apps["calendar"], demo["user2"])["grant"]
    assert not AuditEvent.objects.exists()


def test_revoke_needs_the_csrf_token(demo, apps, make_tokens):
    from django.test import Client

    grant(apps["calendar"], demo["user"], make_tokens)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(demo["user"])

    response = browser.post(revoke_url(demo["user"]), {"app": apps["calendar"].pk, "confirmed": "yes"})

    assert response.status_code == 403
    assert held(apps["calendar"], demo["user"])["grant"]


def test_revoke_with_htmx_opens_the_modal(client, demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)
    client.force_login(demo["user"])

    response = client.get(revoke_url(demo["user"]), {"app": apps["calendar"].pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert 'hx-post="' + revoke_url(demo["user"]) in text(response)


def test_the_pages_link_to_authorized_apps(client, demo):
    client.force_login(demo["organization"])
    url = authorized_url(demo["organization"])

    for page in (reverse("accounts:detail", args=[demo["organization"].pk]), list_url(demo["organization"])):
        assert f'href="{url}"' in text(client.get(page)), page
    # The side menu links to one's own, on every page.
    assert f'href="{url}"' in text(client.get(reverse("accounts:detail", args=[demo["user"].pk])))
