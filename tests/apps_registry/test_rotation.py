"""Rotation without downtime (issue 16): two secrets at once, each token remembering its
secret, removing one revokes exactly its tokens (refused at every read before the rows go),
Regenerate still replaces all; last used per secret and per App. Through the services, the
portal, the admin and the command line."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauthlib.common import Request as OAuthRequest

from apps_registry import services
from apps_registry.exceptions import LastSecret, SecretLimitReached, SecretNotFound
from apps_registry.models import AccessToken, App, AppSecret, AuditAction, AuditEvent, RefreshToken
from apps_registry.selectors import apps_to_remove, live_tokens
from oauth.validator import Validator
from tests.factories import AppFactory
from tests.helpers import HTMX, TOKEN_URL, basic, get_code, messages_of, plain, text

ORIGIN = services.COMMAND_LINE


def token(client, app: App, secret: str, **data) -> dict:
    """A token response for `app` authenticating with `secret` (client_credentials unless
    another grant is given)."""
    data = {"grant_type": "client_credentials", **data}
    response = client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app.client_id, secret))
    assert response.status_code == 200, response.content
    return response.json()


def me_status(client, value: str) -> int:
    return client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {value}").status_code


def introspected(client, app: App, secret: str, value: str) -> bool:
    response = client.post(
        "/oauth/introspect", {"token": value}, HTTP_AUTHORIZATION=basic(app.client_id, secret)
    )
    assert response.status_code == 200, response.content
    return response.json()["active"]


def rotating(app: App, actor) -> tuple[App, str, str]:
    """The App with a second secret: (App, old secret, new secret)."""
    old = app.client_secret
    app, new = services.app_add_secret(actor=actor, app=app, origin=ORIGIN)
    return app, old, new


@pytest.fixture
def owner(demo):
    return demo["organization"]


# --- the services ---------------------------------------------------------------------------


def test_a_second_secret_authenticates_alongside_the_first_in_basic_and_body(client, trusted_app, owner):
    app, old, new = rotating(trusted_app, owner)

    assert old != new and len(new) == 32
    for secret in (old, new):
        token(client, app, secret)
        body = {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret}
        assert client.post(TOKEN_URL, body).status_code == 200
    wrong = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, "x" * 32)
    )
    assert wrong.status_code == 401
    event = AuditEvent.objects.get(action=AuditAction.ADD_SECRET)
    assert set(event.details) == {"secret", "secret_added"}
    assert new not in json.dumps(event.details) and new[-4:] not in json.dumps(event.details)


def test_each_token_remembers_the_secret_that_minted_it(client, trusted_app, owner):
    app, old, new = rotating(trusted_app, owner)
    first, second = app.live_secrets

    with_old, with_new = token(client, app, old), token(client, app, new)

    assert AccessToken.objects.get(token_checksum=_checksum(with_old["access_token"])).secret_id == first.pk
    assert AccessToken.objects.get(token_checksum=_checksum(with_new["access_token"])).secret_id == second.pk


def test_a_third_secret_is_refused_and_nothing_is_written(trusted_app, owner):
    app, _, _ = rotating(trusted_app, owner)
    before = AuditEvent.objects.count()

    with pytest.raises(SecretLimitReached) as refused:
        services.app_add_secret(actor=owner, app=app, origin=ORIGIN)

    assert refused.value.code == "secret_limit_reached"
    assert AppSecret.objects.live().filter(app=app).count() == 2
    assert AuditEvent.objects.count() == before


def test_the_last_secret_cannot_be_removed(trusted_app, owner):
    only = trusted_app.live_secrets[0]

    with pytest.raises(LastSecret) as refused:
        services.app_remove_secret(actor=owner, app=trusted_app, secret_id=only.pk, origin=ORIGIN)

    assert refused.value.code == "last_secret"
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.REMOVE_SECRET).exists()


@pytest.mark.parametrize("which", ["another App's", "removed", "made up", "not a number"])
def test_a_secret_that_is_not_one_of_the_apps_live_ones_is_not_found(which, trusted_app, owner, demo):
    app, _, _ = rotating(trusted_app, owner)
    other = AppFactory(owner=owner)
    if which == "removed":
        gone = app.live_secrets[0].pk
        services.app_remove_secret(actor=owner, app=app, secret_id=gone, origin=ORIGIN)
        services.app_add_secret(actor=owner, app=app, origin=ORIGIN)
    secret_id = {
        "another App's": other.live_secrets[0].pk,
        "removed": app.live_secrets[0].pk if which != "removed" else gone,
        "made up": 10**9,
        "not a number": "x",
    }[which]

    with pytest.raises(SecretNotFound):
        services.app_remove_secret(actor=owner, app=app, secret_id=secret_id, origin=ORIGIN)
    with pytest.raises(SecretNotFound):
        services.app_reveal_secret(actor=owner, app=app, secret_id=secret_id, origin=ORIGIN)
    assert AppSecret.objects.live().filter(app=app).count() == 2
    assert AppSecret.objects.live().filter(app=other).count() == 1


def test_only_those_who_manage_the_app_add_or_remove_its_secrets(trusted_app, demo):
    stranger = demo["organization2"]
    with pytest.raises(PermissionDenied):
        services.app_add_secret(actor=stranger, app=trusted_app, origin=ORIGIN)
    with pytest.raises(PermissionDenied):
        services.app_remove_secret(
            actor=stranger, app=trusted_app, secret_id=trusted_app.live_secrets[0].pk, origin=ORIGIN
        )
    assert AppSecret.objects.filter(app=trusted_app).count() == 1


def test_removing_the_old_secret_revokes_exactly_its_tokens(client, trusted_app, owner, demo):
    app, old, new = rotating(trusted_app, owner)
    doomed = [token(client, app, old)["access_token"] for _ in range(2)]
    kept = [token(client, app, new)["access_token"] for _ in range(3)]
    other_app = AppFactory(owner=owner, trusted=True, api=app.api)
    bystander = token(client, other_app, other_app.client_secret)["access_token"]

    revoked = services.app_remove_secret(
        actor=demo["admin"], app=app, secret_id=app.live_secrets[0].pk, origin=ORIGIN
    )

    assert revoked == {"refresh_tokens": 0, "access_tokens": 2}
    assert [me_status(client, value) for value in doomed] == [401, 401]
    assert [me_status(client, value) for value in [*kept, bystander]] == [200, 200, 200, 200]
    assert (
        client.post(
            TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, old)
        ).status_code
        == 401
    )
    token(client, app, new)
    event = AuditEvent.objects.get(action=AuditAction.REMOVE_SECRET)
    assert (event.actor, event.details["access_tokens"], event.details["refresh_tokens"]) == (
        demo["admin"],
        2,
        0,
    )
    assert old not in json.dumps(event.details)


# --- a removed secret's tokens are refused at every read, before their rows go ---------------


@pytest.fixture
def removed(client, web_app, owner, demo):
    """An authorization-code token pair minted with the old secret, and one with the new;
    then the old secret removed (not purged)."""
    app, old, new = rotating(web_app, owner)
    old_pair = token(
        client, app, old, grant_type="authorization_code", code=get_code(client, app, demo["user"])
    )
    new_pair = token(
        client, app, new, grant_type="authorization_code", code=get_code(client, app, demo["user"])
    )
    client.logout()
    services.app_remove_secret(actor=owner, app=app, secret_id=app.live_secrets[0].pk, origin=ORIGIN)
    assert AccessToken.all_objects.filter(application=app).count() == 2  # the rows are still there
    assert RefreshToken.all_objects.filter(application=app).count() == 2
    return app, new, old_pair, new_pair


def test_uapi_me_refuses_a_removed_secrets_token_and_still_costs_one_query(client, removed):
    _, _, old_pair, new_pair = removed

    with CaptureQueriesContext(connection) as captured:
        assert me_status(client, old_pair["access_token"]) == 401
    assert len(captured) == 1
    assert me_status(client, new_pair["access_token"]) == 200


def test_introspection_says_a_removed_secrets_tokens_are_not_active(client, removed):
    app, new, old_pair, new_pair = removed

    assert not introspected(client, app, new, old_pair["access_token"])
    assert not introspected(client, app, new, old_pair["refresh_token"])
    assert introspected(client, app, new, new_pair["access_token"])
    assert introspected(client, app, new, new_pair["refresh_token"])


def test_a_removed_secrets_refresh_token_is_refused_even_with_the_new_secret(client, removed):
    app, new, old_pair, new_pair = removed

    response = client.post(
        TOKEN_URL,
        {"grant_type": "refresh_token", "refresh_token": old_pair["refresh_token"]},
        HTTP_AUTHORIZATION=basic(app.client_id, new),
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    token(client, app, new, grant_type="refresh_token", refresh_token=new_pair["refresh_token"])


def test_bearer_validation_refuses_a_removed_secrets_token(removed):
    _, _, old_pair, new_pair = removed
    validator = Validator()

    assert not validator.validate_bearer_token(old_pair["access_token"], [], OAuthRequest("https://x/"))
    assert validator.validate_bearer_token(new_pair["access_token"], [], OAuthRequest("https://x/"))


def test_revoking_a_removed_secrets_token_finds_nothing_to_revoke(client, removed):
    app, new, old_pair, _ = removed

    response = client.post(
        "/oauth/revoke", {"token": old_pair["access_token"]}, HTTP_AUTHORIZATION=basic(app.client_id, new)
    )

    assert response.status_code == 200  # RFC 7009: the same answer as for any unknown token
    assert AccessToken.all_objects.filter(application=app).count() == 2  # the purge deletes it


def test_the_token_list_and_counts_leave_out_a_removed_secrets_tokens(client, removed, owner):
    app, _, _, _new_pair = removed

    assert live_tokens(app).count() == 1
    assert [each.live_tokens for each in apps_to_remove(owner, owner, [app.pk])] == [1]
    client.force_login(owner)
    listed = text(client.get(reverse("apps_registry:tokens", args=[app.pk])))
    assert listed.count('name="token"') == 1


def test_the_purge_deletes_the_rows_in_batches_and_then_the_secret(removed):
    app, _, _, _ = removed
    gone = AppSecret.objects.get(app=app, removed__isnull=False)

    first = services.purge_removed_secrets(batch=1, max_batches=1)
    rest = services.purge_removed_secrets(batch=1)

    assert (first["access_tokens"], first["refresh_tokens"], first["secrets"]) == (1, 1, 0)
    assert (rest["access_tokens"], rest["refresh_tokens"], rest["secrets"]) == (0, 0, 1)
    assert not AppSecret.objects.filter(pk=gone.pk).exists()
    assert AccessToken.all_objects.filter(application=app).count() == 1  # the new secret's


def test_purge_expired_purges_the_removed_secrets_tokens(removed):
    from oauth.housekeeping import purge_expired

    app, _, _, _ = removed
    counts = purge_expired()

    assert (counts["removed_secrets"], counts["tokens_of_removed_secrets"]) == (1, 2)
    assert AccessToken.all_objects.filter(application=app).count() == 1


def test_the_database_refuses_a_token_for_a_removed_or_foreign_secret(trusted_app, owner):
    app, _, _ = rotating(trusted_app, owner)
    old = app.live_secrets[0]
    services.app_remove_secret(actor=owner, app=app, secret_id=old.pk, origin=ORIGIN)
    foreign = AppFactory(owner=owner).live_secrets[0]

    for secret in (old, foreign):
        with pytest.raises(IntegrityError, match="app_secret_changed"), transaction.atomic():
            AccessToken.objects.create(
                application=app,
                user=owner,
                token=f"t{secret.pk}",
                expires=timezone.now() + timedelta(hours=1),
                secret=secret,
            )
    AccessToken.objects.create(
        application=app,
        user=owner,
        token="fine",
        expires=timezone.now() + timedelta(hours=1),
        secret=app.live_secrets[1],
    )


# --- moving to the new secret, and Regenerate -----------------------------------------------


def test_refreshing_with_the_new_secret_moves_the_token_to_it(client, web_app, owner, demo):
    app = web_app
    old = app.client_secret
    pair = token(client, app, old, grant_type="authorization_code", code=get_code(client, app, demo["user"]))
    client.logout()
    app, new = services.app_add_secret(actor=owner, app=app, origin=ORIGIN)

    moved = token(client, app, new, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    services.app_remove_secret(actor=owner, app=app, secret_id=app.live_secrets[0].pk, origin=ORIGIN)

    assert me_status(client, moved["access_token"]) == 200
    token(client, app, new, grant_type="refresh_token", refresh_token=moved["refresh_token"])


def test_regenerate_replaces_both_secrets_with_one_and_every_token_dies(
    client, trusted_app, owner, make_tokens
):
    app, old, new = rotating(trusted_app, owner)
    values = [token(client, app, secret)["access_token"] for secret in (old, new)]
    make_tokens(app, 2, secret=None)  # made outside the token endpoint: deleted at once

    app = services.app_regenerate_secret(actor=owner, app=app, origin=ORIGIN)

    assert len(app.live_secrets) == 1 and app.client_secret not in (old, new)
    assert [me_status(client, value) for value in values] == [401, 401]
    assert not AccessToken.objects.filter(application=app).exists()
    assert AccessToken.all_objects.filter(application=app).count() == 2  # dead, awaiting the purge
    event = AuditEvent.objects.get(action=AuditAction.REGENERATE_SECRET)
    assert (event.details["access_tokens"], event.details["refresh_tokens"]) == (4, 2)
    for secret in (old, new):
        response = client.post(
            TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, secret)
        )
        assert response.status_code == 401
    token(client, app, app.client_secret)


# --- last used ------------------------------------------------------------------------------


def test_last_used_is_written_once_a_minute_per_secret_not_per_request(client, trusted_app, owner):
    app = trusted_app
    secret = app.client_secret
    assert AppSecret.objects.get(app=app).last_used is None

    with CaptureQueriesContext(connection) as first:
        token(client, app, secret)
    with CaptureQueriesContext(connection) as second:
        token(client, app, secret)

    updates = [q["sql"] for q in first if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # the secret's and the App's
    assert not [q for q in second if q["sql"].startswith("UPDATE")]
    used = AppSecret.objects.get(app=app).last_used
    assert used is not None and App.objects.get(pk=app.pk).last_used == used

    AppSecret.objects.filter(app=app).update(last_used=used - timedelta(seconds=61))
    token(client, app, secret)
    assert AppSecret.objects.get(app=app).last_used > used


def test_record_secret_use_writes_once_when_two_requests_find_it_stale(trusted_app):
    secret = trusted_app.live_secrets[0]
    now = timezone.now()
    stale_copy = AppSecret.objects.get(pk=secret.pk)

    assert services.record_secret_use(secret, now=now) is True
    assert services.record_secret_use(stale_copy, now=now + timedelta(seconds=1)) is False  # the guard


# --- the portal -----------------------------------------------------------------------------


def test_the_app_page_lists_each_secret_masked_with_who_when_and_last_use(client, trusted_app, owner, demo):
    app, old, new = rotating(trusted_app, demo["admin"])
    token(client, app, new)
    client.force_login(owner)

    response = client.get(app.get_absolute_url())

    content = text(response)
    assert old not in content and new not in content
    assert "•" * 28 + old[-4:] in content and "•" * 28 + new[-4:] in content
    assert "(before rotation)" in content and f"by {demo['admin'].username}" in content
    assert "last used never" in plain(response) and content.count("last used <time") == 1
    assert content.count("remove-secret") == 2 and "Add a secret…" not in content
    assert 'id="app-last-used"><time' in content


def test_an_app_with_one_secret_offers_add_and_no_remove(client, trusted_app, owner):
    client.force_login(owner)
    content = text(client.get(trusted_app.get_absolute_url()))
    assert "Add a secret…" in content and "remove-secret" not in content


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_add_a_secret_asks_then_shows_the_new_one_once(headers, client, trusted_app, owner):
    client.force_login(owner)
    url = reverse("apps_registry:add_secret", args=[trusted_app.pk])

    confirm = client.get(url, headers=headers)
    assert "Both secrets work until you remove one" in text(confirm)
    assert AppSecret.objects.filter(app=trusted_app).count() == 1

    response = client.post(url, {"confirmed": "yes"}, headers=headers)

    new = App.objects.get(pk=trusted_app.pk).live_secrets[-1].secret
    content = text(response)
    assert response.status_code == 200 and f'value="{new}"' in content
    assert "no-store" in response["Cache-Control"]
    assert "A second secret was added. Both secrets work" in content
    if headers:
        assert 'id="app-secret" hx-swap-oob="true"' in content and "<html" not in content
    page = text(client.get(trusted_app.get_absolute_url()))
    assert new not in page  # shown once; masked afterwards, revealable


def test_a_third_secret_from_the_page_is_an_error_and_writes_nothing(client, trusted_app, owner):
    rotating(trusted_app, owner)
    client.force_login(owner)
    url = reverse("apps_registry:add_secret", args=[trusted_app.pk])

    asked = client.get(url)
    posted = client.post(url, {"confirmed": "yes"})

    for response in (asked, posted):
        assert response.status_code == 302
        assert messages_of(response)[-1] == SecretLimitReached(2).messages[0]
    assert AppSecret.objects.filter(app=trusted_app).count() == 2


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_remove_a_secret_asks_with_its_token_count_then_removes_it(headers, client, trusted_app, owner):
    app, old, _new = rotating(trusted_app, owner)
    token(client, app, old)
    first = app.live_secrets[0]
    client.force_login(owner)
    url = reverse("apps_registry:remove_secret", args=[app.pk, first.pk])

    confirm = client.get(url, headers=headers)
    assert f"Remove the secret …{old[-4:]}" in text(confirm)
    assert "1 live access token stops working" in plain(confirm)

    response = client.post(url, {"confirmed": "yes"}, headers=headers)

    target = app.get_absolute_url()
    assert (response["HX-Redirect"] if headers else response["Location"]) == target
    assert list(AppSecret.objects.live().filter(app=app).values_list("pk", flat=True)) == [
        app.live_secrets[1].pk
    ]
    assert AuditEvent.objects.filter(action=AuditAction.REMOVE_SECRET, app=app).count() == 1


def test_removing_the_last_secret_from_the_page_is_an_error(client, trusted_app, owner):
    only = trusted_app.live_secrets[0]
    client.force_login(owner)
    url = reverse("apps_registry:remove_secret", args=[trusted_app.pk, only.pk])

    for response in (client.get(url), client.post(url, {"confirmed": "yes"})):
        assert response.status_code == 302
        assert messages_of(response)[-1] == LastSecret().messages[0]
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 1


def test_another_apps_secret_in_the_url_is_404(client, trusted_app, owner):
    rotating(trusted_app, owner)
    other = AppFactory(owner=owner)
    rotating(other, owner)
    client.force_login(owner)
    url = reverse("apps_registry:remove_secret", args=[trusted_app.pk, other.live_secrets[0].pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "yes"}).status_code == 404
    reveal = client.post(
        reverse("apps_registry:reveal_secret", args=[trusted_app.pk]), {"secret": other.live_secrets[0].pk}
    )
    assert reveal.status_code == 404
    assert AppSecret.objects.live().count() == 4
    assert not AuditEvent.objects.filter(action__in=["remove_secret", "reveal_secret"]).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_add_and_remove_on_an_app_out_of_reach_are_404(method, client, demo, demo_apps):
    theirs = demo_apps["organization2"]
    rotating(theirs, demo["organization2"])
    client.force_login(demo["provider"])  # manages organization, not organization2
    urls = [
        reverse("apps_registry:add_secret", args=[theirs.pk]),
        reverse("apps_registry:remove_secret", args=[theirs.pk, theirs.live_secrets[0].pk]),
    ]

    statuses = [getattr(client, method)(url, {"confirmed": "yes"}).status_code for url in urls]

    assert statuses == [404, 404]
    assert AppSecret.objects.live().filter(app=theirs).count() == 2


def test_add_and_remove_need_the_csrf_token(trusted_app, owner):
    app, _, _ = rotating(trusted_app, owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    added = client.post(reverse("apps_registry:add_secret", args=[app.pk]), {"confirmed": "yes"})
    removed = client.post(
        reverse("apps_registry:remove_secret", args=[app.pk, app.live_secrets[0].pk]), {"confirmed": "yes"}
    )

    assert (added.status_code, removed.status_code) == (403, 403)
    assert AppSecret.objects.live().filter(app=app).count() == 2


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_reveal_shows_the_secret_asked_for_and_the_audit_says_which(headers, client, trusted_app, owner):
    app, old, new = rotating(trusted_app, owner)
    first = app.live_secrets[0]
    client.force_login(owner)

    response = client.post(
        reverse("apps_registry:reveal_secret", args=[app.pk]),
        {"secret": first.pk},
        headers=headers,
        follow=not headers,
    )

    content = text(response)
    assert f'value="{old}"' in content and new not in content
    event = AuditEvent.objects.get(action=AuditAction.REVEAL_SECRET)
    assert event.details["secret"] == first.pk and old not in json.dumps(event.details)


def test_the_app_list_shows_when_each_app_was_last_used(client, trusted_app, owner):
    token(client, trusted_app, trusted_app.client_secret)
    AppFactory(owner=owner, api=trusted_app.api, name="Idle")
    client.force_login(owner)

    content = text(client.get(reverse("apps_registry:list", args=[owner.pk]) + f"?api={trusted_app.api}"))

    assert 'id="sort-last_used"' in content
    cell = '<td class="col-last_used d-none d-sm-table-cell">'
    assert content.count(f"{cell}<time") == 1
    assert content.count(f'{cell}<span class="text-body-secondary">Never') == 1


# --- the admin and the command line ---------------------------------------------------------


def test_admin_action_adds_a_second_secret_through_the_service(client, demo, trusted_app):
    full = AppFactory(owner=trusted_app.owner)
    rotating(full, demo["admin"])
    client.force_login(demo["admin"])

    response = client.post(
        reverse("admin:apps_registry_app_changelist"),
        {"action": "add_secrets", "_selected_action": [trusted_app.pk, full.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 2
    assert AppSecret.objects.live().filter(app=full).count() == 2
    event = AuditEvent.objects.get(action=AuditAction.ADD_SECRET, app=trusted_app)
    assert event.source == "admin"
    assert any("two secrets already" in str(message) for message in response.context["messages"])


def change_form(app: App, remove: int | None = None) -> dict:
    """The admin's change form of `app` as its page sends it, Remove ticked on secret `remove`."""
    secrets = list(app.secrets.live().order_by("created", "pk"))
    data = {
        "name": app.name,
        "description": app.description,
        "homepage": app.homepage,
        "image_uri": app.image_uri,
        "email": app.email,
        "phone": app.phone,
        "redirect_uri": app.redirect_uri,
        "trusted": "on" if app.trusted else "",
        "enabled": "on" if app.enabled else "",
        "secrets-TOTAL_FORMS": str(len(secrets)),
        "secrets-INITIAL_FORMS": str(len(secrets)),
        "secrets-MIN_NUM_FORMS": "0",
        "secrets-MAX_NUM_FORMS": "0",
    }
    for n, secret in enumerate(secrets):
        data |= {f"secrets-{n}-id": str(secret.pk), f"secrets-{n}-app": str(app.pk)}
        if secret.pk == remove:
            data[f"secrets-{n}-DELETE"] = "on"
    return data


def test_admin_removes_a_secret_ticked_in_the_inline_and_refuses_the_last(client, demo, trusted_app):
    app, old, new = rotating(trusted_app, demo["admin"])
    first, second = app.live_secrets
    client.force_login(demo["admin"])
    url = reverse("admin:apps_registry_app_change", args=[app.pk])
    page = text(client.get(url))
    assert f"…{old[-4:]}" in page and f"…{new[-4:]}" in page and old not in page and new not in page

    removed = client.post(url, change_form(app, remove=first.pk))

    assert removed.status_code == 302
    assert list(AppSecret.objects.live().filter(app=app)) == [second]
    event = AuditEvent.objects.get(action=AuditAction.REMOVE_SECRET)
    assert (event.source, event.details["secret"]) == ("admin", first.pk)

    refused = client.post(url, change_form(app, remove=second.pk), follow=True)

    assert refused.status_code == 200
    assert LastSecret().messages[0] in text(refused)
    assert list(AppSecret.objects.live().filter(app=app)) == [second]


def test_command_lists_adds_and_removes_secrets(trusted_app, client):
    app = trusted_app
    old = app.client_secret
    out = io.StringIO()

    call_command("app_secret", "add", "--", app.client_id, stdout=out)
    added = json.loads(out.getvalue())
    listed = io.StringIO()
    call_command("app_secret", "list", "--", app.client_id, stdout=listed)

    rows = listed.getvalue().strip().splitlines()
    assert len(rows) == 2 and f"…{old[-4:]}" in rows[0] and "(before rotation)" in rows[0]
    assert f"…{added['client_secret'][-4:]}" in rows[1] and app.owner.username in rows[1]
    assert old not in listed.getvalue() and added["client_secret"] not in listed.getvalue()
    token(client, app, added["client_secret"])

    first = app.live_secrets[0].pk
    removed = io.StringIO()
    call_command("app_secret", "remove", "--secret-id", str(first), "--", app.client_id, stdout=removed)
    assert f"Removed secret {first}" in removed.getvalue()
    assert [
        event.source for event in AuditEvent.objects.filter(action__in=["add_secret", "remove_secret"])
    ] == [
        "cli",
        "cli",
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        # An App ID/key may begin with "-": after "--", as the command's help says.
        (["remove", "--secret-id", "{first}", "--", "{key}"], "last_secret"),
        (["remove", "--secret-id", "2147483647", "--", "{key}"], "secret_not_found"),
        (["remove", "--", "{key}"], "secret_id_required"),
        (["add", "nope"], "app_not_found"),
    ],
)
def test_command_refusals_say_why_and_write_nothing(args, code, trusted_app):
    values = {"key": trusted_app.client_id, "first": trusted_app.live_secrets[0].pk}
    with pytest.raises(CommandError, match=code):
        call_command("app_secret", *[arg.format(**values) for arg in args], stdout=io.StringIO())
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 1
    assert not AuditEvent.objects.exists()


def _checksum(value: str) -> str:
    from oauth.validator import checksum

    return checksum(value)
