"""Authorized Apps (design §8): the grants an account gave, its page, Revoke access through
every entry point (service, portal, admin, command line), deactivation, the App list's counts."""

import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import Grant

from accounts.services import account_set_active
from apps_registry import services
from apps_registry.exceptions import AppNotAuthorized
from apps_registry.models import AccessToken, Api, AppAuthorization, AuditAction, AuditEvent, RefreshToken
from apps_registry.selectors import authorized_apps
from apps_registry.services import (
    COMMAND_LINE,
    app_authorization_grant,
    app_authorization_used,
    app_remove,
    app_revoke_access,
)
from tests.factories import AppFactory
from tests.helpers import REACH, list_url, messages_of, plain, text

pytestmark = pytest.mark.django_db


def authorized_url(account) -> str:
    return reverse("apps_registry:authorized", args=[account.pk])


def revoke_url(account) -> str:
    return reverse("apps_registry:revoke_access", args=[account.pk])


def grant(app, account, make_tokens, tokens: int = 1):
    """`account` authorized `app` and holds `tokens` live tokens of it, and an unused code."""
    app_authorization_grant(app=app, account=account)
    made = make_tokens(app, tokens, user=account)
    Grant.objects.create(
        application=app,
        user=account,
        code=f"code-{app.pk}-{account.pk}",
        expires=timezone.now() + timedelta(minutes=10),
        redirect_uri=app.redirect_uri,
        scope=app.api,
    )
    return made


def held(app, account) -> dict:
    return {
        "grant": AppAuthorization.objects.filter(app=app, account=account).exists(),
        "access": AccessToken.objects.filter(application=app, user=account).count(),
        "refresh": RefreshToken.objects.filter(application=app, user=account).count(),
        "codes": Grant.objects.filter(application=app, user=account).count(),
    }


@pytest.fixture
def apps(demo):
    """Two Apps of organization2 (out of the demo user's reach) and one of the user's own."""
    return {
        "calendar": AppFactory(owner=demo["organization2"], name="Calendar", api=Api.UNIFIEDAPI),
        "crm": AppFactory(owner=demo["organization2"], name="CRM", api=Api.SYSTEMAPI),
        "own": AppFactory(owner=demo["user"], name="Own"),
    }


# --- the grant itself -----------------------------------------------------------------------


def test_a_grant_is_recorded_once_and_keeps_its_first_time(demo, apps):
    app_authorization_grant(app=apps["calendar"], account=demo["user"])
    first = AppAuthorization.objects.get().first_authorized

    app_authorization_grant(app=apps["calendar"], account=demo["user"])

    authorization = AppAuthorization.objects.get()
    assert authorization.first_authorized == first
    assert authorization.api == Api.UNIFIEDAPI
    assert authorization.last_used is None


def test_last_used_is_written_at_most_once_a_minute(demo, apps, django_assert_num_queries):
    app, user = apps["calendar"], demo["user"]
    app_authorization_grant(app=app, account=user)
    app_authorization_used(app_id=app.pk, account_id=user.pk)
    first = AppAuthorization.objects.get().last_used
    assert first is not None

    with django_assert_num_queries(1):  # the guarded UPDATE, which changes nothing
        app_authorization_used(app_id=app.pk, account_id=user.pk)
    assert AppAuthorization.objects.get().last_used == first

    AppAuthorization.objects.update(last_used=first - timedelta(minutes=2))
    app_authorization_used(app_id=app.pk, account_id=user.pk)
    assert AppAuthorization.objects.get().last_used > first - timedelta(minutes=1)


# --- the service ----------------------------------------------------------------------------


def test_revoke_access_removes_the_accounts_tokens_codes_and_grant_only(demo, apps, make_tokens):
    user, other = demo["user"], demo["user2"]
    calendar, crm = apps["calendar"], apps["crm"]
    grant(calendar, user, make_tokens, tokens=2)
    grant(crm, user, make_tokens)
    grant(calendar, other, make_tokens)

    revoked = app_revoke_access(actor=user, account=user, apps=[calendar], origin=COMMAND_LINE)

    assert revoked[calendar.pk] == {
        "refresh_tokens": 2,
        "access_tokens": 2,
        "id_tokens": 0,
        "authorization_codes": 1,
    }
    assert held(calendar, user) == {"grant": False, "access": 0, "refresh": 0, "codes": 0}
    # The same App's grant from another account, and another App's grant, stay.
    assert held(calendar, other) == {"grant": True, "access": 1, "refresh": 1, "codes": 1}
    assert held(crm, user) == {"grant": True, "access": 1, "refresh": 1, "codes": 1}


def test_revoke_access_writes_one_audit_row_per_app_in_the_apps_trail(demo, apps, make_tokens):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens)
    grant(apps["crm"], user, make_tokens, tokens=3)

    app_revoke_access(actor=user, account=user, apps=[apps["calendar"], apps["crm"]], origin=COMMAND_LINE)

    events = {event.app_id: event for event in AuditEvent.objects.filter(action=AuditAction.REVOKE_ACCESS)}
    assert set(events) == {apps["calendar"].pk, apps["crm"].pk}
    crm = events[apps["crm"].pk]
    assert crm.account_id == demo["organization2"].pk  # the App's owner: the App's own trail
    assert crm.actor_username == "user"
    assert crm.details["account"] == "user"
    assert crm.details["access_tokens"] == 3
    assert crm.get_action_display() == "Revoked access"


def test_revoke_access_of_an_app_not_authorized_writes_nothing(demo, apps, make_tokens):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens)

    with pytest.raises(AppNotAuthorized) as error:
        app_revoke_access(actor=user, account=user, apps=[apps["calendar"], apps["crm"]], origin=COMMAND_LINE)

    assert error.value.code == "app_not_authorized"
    assert held(apps["calendar"], user) == {"grant": True, "access": 1, "refresh": 1, "codes": 1}
    assert not AuditEvent.objects.exists()


def test_revoke_access_of_no_app_is_refused(demo):
    with pytest.raises(AppNotAuthorized):
        app_revoke_access(actor=demo["user"], account=demo["user"], apps=[], origin=COMMAND_LINE)


@pytest.mark.parametrize(
    ("actor", "target"), [("user2", "user"), ("organization2", "user"), ("user", "organization")]
)
def test_revoke_access_for_an_account_out_of_reach_is_refused(actor, target, demo, apps, make_tokens):
    grant(apps["calendar"], demo[target], make_tokens)

    with pytest.raises(PermissionDenied):
        app_revoke_access(
            actor=demo[actor], account=demo[target], apps=[apps["calendar"]], origin=COMMAND_LINE
        )

    assert held(apps["calendar"], demo[target])["grant"]
    assert not AuditEvent.objects.exists()


def test_a_manager_revokes_access_for_an_account_below_it(demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)

    app_revoke_access(
        actor=demo["provider"], account=demo["user"], apps=[apps["calendar"]], origin=COMMAND_LINE
    )

    assert held(apps["calendar"], demo["user"])["access"] == 0


# --- deactivation and removal -----------------------------------------------------------------


def test_deactivating_an_account_deletes_its_grants_and_those_of_its_apps(demo, apps, make_tokens):
    user, org2 = demo["user"], demo["organization2"]
    grant(apps["calendar"], user, make_tokens)  # the user's grant to another account's App
    grant(apps["own"], demo["user2"], make_tokens)  # another account's grant to the user's App
    grant(apps["crm"], demo["user2"], make_tokens)  # unrelated

    account_set_active(actor=demo["organization"], account=user, active=False, origin=COMMAND_LINE)

    assert set(AppAuthorization.objects.values_list("app__name", "account__username")) == {("CRM", "user2")}
    assert org2.is_active


def test_removing_an_app_removes_its_grants(demo, apps, make_tokens):
    grant(apps["own"], demo["user2"], make_tokens)

    app_remove(actor=demo["user"], app=apps["own"], origin=COMMAND_LINE)

    assert not AppAuthorization.objects.exists()


# --- the selector -----------------------------------------------------------------------------


def test_the_page_is_one_query_whatever_the_number_of_apps(demo, make_tokens, django_assert_num_queries):
    user = demo["user"]
    for count in (1, 12):
        for app in [AppFactory(owner=demo["organization2"]) for _ in range(count)]:
            grant(app, user, make_tokens, tokens=2)
        with django_assert_num_queries(1):
            grants = authorized_apps(user, user)
        assert all(each.live_tokens == 2 for each in grants)


def test_expired_tokens_and_other_accounts_tokens_are_not_counted(demo, apps, make_tokens, expired_token):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens, tokens=2)
    make_tokens(apps["calendar"], 5, user=demo["user2"])
    expired_token(apps["calendar"], user=user)

    assert [each.live_tokens for each in authorized_apps(user, user)] == [2]


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


# --- the Django admin -------------------------------------------------------------------------


def test_admin_lists_grants_in_reach_and_revokes_through_the_service(client, demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)
    grant(apps["crm"], demo["user2"], make_tokens)
    client.force_login(demo["admin"])
    changelist = reverse("admin:apps_registry_appauthorization_changelist")

    listed = client.get(changelist)
    assert listed.status_code == 200
    assert {row.account.username for row in listed.context["cl"].result_list} == {"user", "user2"}

    ids = list(AppAuthorization.objects.filter(account=demo["user"]).values_list("pk", flat=True))
    response = client.post(changelist, {"action": "revoke_access", "_selected_action": ids})

    assert response.status_code == 302
    assert held(apps["calendar"], demo["user"]) == {"grant": False, "access": 0, "refresh": 0, "codes": 0}
    assert held(apps["crm"], demo["user2"])["grant"]
    assert AuditEvent.objects.get(action=AuditAction.REVOKE_ACCESS).source == "admin"


def test_admin_grants_out_of_reach_are_not_there(client, demo, apps, make_tokens):
    from tests.factories import AdministratorFactory

    grant(apps["calendar"], demo["user"], make_tokens)
    other = AdministratorFactory()
    client.force_login(other)

    listed = client.get(reverse("admin:apps_registry_appauthorization_changelist"))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == []
    pk = AppAuthorization.objects.get().pk
    assert client.get(reverse("admin:apps_registry_appauthorization_change", args=[pk])).status_code == 404


# --- the command line -------------------------------------------------------------------------


def test_command_revokes_access(demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens, tokens=2)
    out = io.StringIO()

    call_command("revoke_access", "user", "--", apps["calendar"].client_id, stdout=out)

    assert f"{apps['calendar'].client_id}: revoked, 2 access token(s)" in out.getvalue()
    assert not held(apps["calendar"], demo["user"])["grant"]
    assert AuditEvent.objects.get(action=AuditAction.REVOKE_ACCESS).source == "cli"


def test_command_refuses_an_app_not_authorized_or_unknown(demo, apps):
    with pytest.raises(CommandError, match=r"^app_not_authorized: "):
        call_command("revoke_access", "user", "--", apps["calendar"].client_id)
    with pytest.raises(CommandError, match=r"^app_not_found: "):
        call_command("revoke_access", "user", "nope")
    with pytest.raises(CommandError, match=r"^account_not_found: "):
        call_command("revoke_access", "nobody", "--", apps["calendar"].client_id)


def test_command_with_an_actor_out_of_reach_is_refused(demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)

    with pytest.raises(CommandError, match=r"^permission_denied: "):
        call_command("revoke_access", "user", "--actor", "organization2", "--", apps["calendar"].client_id)

    assert held(apps["calendar"], demo["user"])["grant"]


# --- counts in the App list and on the App page ----------------------------------------------


def test_the_app_list_counts_live_tokens_and_authorized_accounts(client, demo, make_tokens, expired_token):
    owner = demo["organization"]
    app = AppFactory(owner=owner, name="Counted")
    AppFactory(owner=owner, name="Quiet")
    for account in (demo["user"], demo["user2"]):
        grant(app, account, make_tokens, tokens=2)
    expired_token(app, user=demo["user"])
    make_tokens(app, 1)  # the owner's own (client_credentials-like): a token, not a grant
    client.force_login(owner)

    response = client.get(list_url(owner), {"o": "-tokens"})

    rows = text(response).split("<tbody>")[1].split("</tr>")
    assert "Counted" in rows[0]  # sorted by live tokens, most first
    assert '<td class="col-tokens text-end d-none d-sm-table-cell">5</td>' in rows[0]
    assert '<td class="col-authorized text-end d-none d-sm-table-cell">2</td>' in rows[0]
    assert '<td class="col-tokens text-end d-none d-sm-table-cell">0</td>' in rows[1]
    page = client.get(app.get_absolute_url())
    assert 'id="authorized-accounts">2<' in text(page)


def test_sorting_by_authorized_accounts(client, demo, make_tokens):
    owner = demo["organization"]
    few, many = AppFactory(owner=owner, name="A few"), AppFactory(owner=owner, name="B many")
    grant(few, demo["user"], make_tokens)
    for account in (demo["user"], demo["user2"], demo["organization2"]):
        grant(many, account, make_tokens)
    client.force_login(owner)

    ascending = text(client.get(list_url(owner), {"o": "authorized"}))
    descending = text(client.get(list_url(owner), {"o": "-authorized"}))

    assert ascending.index("A few") < ascending.index("B many")
    assert descending.index("B many") < descending.index("A few")


def tokens_cell(app_name: str, page: str) -> str:
    """The Live tokens and Authorized accounts cells of the App's row on a list page."""
    row = next(row for row in page.split("<tbody>")[1].split("</tr>") if f">{app_name}<" in row)
    tokens = row.split('<td class="col-tokens text-end d-none d-sm-table-cell">')[1].split("<")[0]
    authorized = row.split('<td class="col-authorized text-end d-none d-sm-table-cell">')[1].split("<")[0]
    return f"{tokens} tokens, {authorized} accounts"


def test_the_counts_are_right_on_the_second_page(client, demo, make_tokens):
    owner = demo["organization"]
    for i in range(55):
        AppFactory(owner=owner, name=f"App {i:02d}")
    late = AppFactory(owner=owner, name="Zulu")  # last by name: page 2
    grant(late, demo["user"], make_tokens, tokens=3)
    grant(late, demo["user2"], make_tokens, tokens=1)
    client.force_login(owner)

    second = text(client.get(list_url(owner), {"page": "2"}))

    assert tokens_cell("Zulu", second) == "4 tokens, 2 accounts"
    assert tokens_cell("App 54", second) == "0 tokens, 0 accounts"


def test_the_counts_leave_out_expired_and_removed_secrets_tokens(client, demo, make_tokens, expired_token):
    owner = demo["organization"]
    app = AppFactory(owner=owner, name="Rotated")
    old = app.live_secrets[0]
    make_tokens(app, 2)  # minted with the old secret
    app, _ = services.app_add_secret(actor=owner, app=app, origin=COMMAND_LINE)
    make_tokens(app, 3)  # with the new one
    make_tokens(app, 1, secret=None)  # made outside the token endpoint: counted
    expired_token(app)
    services.app_remove_secret(actor=owner, app=app, secret_id=old.pk, origin=COMMAND_LINE)
    client.force_login(owner)

    page = text(client.get(list_url(owner)))
    by_tokens = text(client.get(list_url(owner), {"o": "-tokens"}))

    assert AccessToken.all_objects.filter(application=app).count() == 7  # the rows are still there
    assert tokens_cell("Rotated", page) == "4 tokens, 0 accounts"
    assert tokens_cell("Rotated", by_tokens) == "4 tokens, 0 accounts"
    assert ">4</a>" in text(client.get(app.get_absolute_url()))  # the App page's count agrees


def test_sorting_by_live_tokens_puts_the_app_with_most_first_across_pages(client, demo, make_tokens):
    owner = demo["organization"]
    names = {}
    for i in range(60):
        app = AppFactory(owner=owner, name=f"App {i:02d}")
        count = (i * 37) % 61  # every count once, in no order of name or creation
        make_tokens(app, count)
        names[app.name] = count
    client.force_login(owner)

    def listed(params):
        pages = [text(client.get(list_url(owner), {**params, "page": str(n)})) for n in (1, 2)]
        return [name for page in pages for name in re.findall(r'id="app-\d+"[^>]*>([^<]+)</a>', page)]

    descending, ascending = listed({"o": "-tokens"}), listed({"o": "tokens"})

    most = max(names, key=names.get)
    assert descending[0] == most
    assert descending == sorted(names, key=lambda name: -names[name])
    assert ascending == descending[::-1]
    assert len(descending) == 60  # 50 on the first page, 10 on the second
