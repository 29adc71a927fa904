"""Introspecting another App's token is for resource servers (issue 13, item 7): Apps that an
Administrator marked so, and only for tokens of Apps owned within that Administrator's tree.
Only an Administrator sets the flag, through every entry point."""

import pytest
from django.urls import reverse

from apps_registry import services
from apps_registry.exceptions import ResourceServerNotAllowed
from apps_registry.models import Api, App
from portal.audit import COMMAND_LINE
from tests.factories import AppFactory, OrganizationFactory
from tests.helpers import add_url, basic, cc_token, form_data

pytestmark = pytest.mark.django_db


def introspect(client, caller, token) -> dict:
    response = client.post(
        "/oauth/introspect",
        {"token": token},
        HTTP_AUTHORIZATION=basic(caller.client_id, caller.client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def resource_server(demo):
    """A resource server of the demo tree (owned by the Organization, marked by `admin`)."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Resource server")
    return services.app_update(actor=demo["admin"], app=app, origin=COMMAND_LINE, resource_server=True)


def trusted(owner):
    return AppFactory(owner=owner, api=Api.UNIFIEDAPI, trusted=True)


def test_a_resource_server_introspects_tokens_of_apps_within_its_administrators_tree(
    client, demo, resource_server
):
    for owner in ("user2", "admin", "user", "provider"):  # other branches and levels of the tree
        token = cc_token(client, trusted(demo[owner]))
        body = introspect(client, resource_server, token)
        assert body["active"] is True, owner
        assert body["account"]["username"] == owner


def test_introspection_costs_one_query_whoever_asks(client, demo, resource_server, django_assert_num_queries):
    """The caller's App with its secrets and its owner's standing, and the token with its App
    and accounts, read as one statement: the same at any depth of the tree (make bench, P7)."""
    for owner in ("admin", "user"):
        token = cc_token(client, trusted(demo[owner]))
        introspect(client, resource_server, token)  # the caller's secret's last use written
        with django_assert_num_queries(1):
            assert introspect(client, resource_server, token)["active"] is True


NEVER_CACHED = "max-age=0, no-cache, no-store, must-revalidate, private"


def test_no_introspection_answer_may_be_cached_or_referred(client, demo, resource_server):
    """An answer about a token, and a refused caller's 401, are never stored by a cache."""
    token = cc_token(client, trusted(demo["user"]))
    answered = client.post(
        "/oauth/introspect",
        {"token": token},
        HTTP_AUTHORIZATION=basic(resource_server.client_id, resource_server.client_secret),
    )
    refused = client.post(
        "/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(resource_server.client_id, "wrong")
    )
    assert (answered.status_code, refused.status_code) == (200, 401)
    for response in (answered, refused):
        assert response["Cache-Control"] == NEVER_CACHED
        assert response.has_header("Expires")
        assert response["Referrer-Policy"] == "no-referrer"


def test_a_refused_caller_learns_nothing_of_the_token_read_with_its_app(client, demo, resource_server):
    """The caller's App and the token are read together (portal.speedups.statements.read_together:
    one statement), before the caller is authenticated: a wrong secret still gets only the 401."""
    token = cc_token(client, trusted(demo["user"]))
    response = client.post(
        "/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=basic(resource_server.client_id, "wrong")
    )
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}


def test_a_resource_server_gets_nothing_about_another_trees_tokens(client, demo, resource_server):
    elsewhere = OrganizationFactory()  # its own Service Provider and Administrator
    token = cc_token(client, trusted(elsewhere))
    assert introspect(client, resource_server, token) == {"active": False}
    # Its own Apps still see it.
    assert introspect(client, App.objects.get(owner=elsewhere), token)["active"] is True


def test_a_trusted_app_that_is_no_resource_server_gets_nothing_about_another_apps_token(client, demo):
    caller = trusted(demo["admin"])  # trusted, even the Administrator's own
    token = cc_token(client, trusted(demo["user"]))
    assert introspect(client, caller, token) == {"active": False}


def test_a_resource_server_still_introspects_its_own_tokens(client, demo, resource_server):
    resource_server.trusted = True
    resource_server.save(update_fields=["trusted"])
    assert introspect(client, resource_server, cc_token(client, resource_server))["active"] is True


def test_a_disabled_resource_server_is_refused_its_flag_notwithstanding(client, demo, resource_server):
    """The caller's App is read with the few columns introspection uses (oauth/clients.py,
    INTROSPECTING_FIELDS): each of them must land in its own field, whatever order they are
    listed in (here enabled is False where resource_server is True)."""
    token = cc_token(client, trusted(demo["user"]))
    App.objects.filter(pk=resource_server.pk).update(enabled=False)
    response = client.post(
        "/oauth/introspect",
        {"token": token},
        HTTP_AUTHORIZATION=basic(resource_server.client_id, resource_server.client_secret),
    )
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}


# --- who may set the flag ------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["provider", "organization", "user"])
def test_the_service_refuses_the_flag_from_a_non_administrator(demo, actor):
    owner = demo["user"]
    with pytest.raises(ResourceServerNotAllowed) as refused:
        services.app_create(
            actor=demo[actor],
            owner=owner,
            api=Api.UNIFIEDAPI,
            name="RS",
            homepage="https://rs.example/",
            email="dev@rs.example",
            redirect_uri="https://rs.example/cb",
            resource_server=True,
            origin=COMMAND_LINE,
        )
    assert refused.value.error_dict["resource_server"][0].code == "resource_server_not_allowed"
    app = AppFactory(owner=owner, api=Api.UNIFIEDAPI)
    with pytest.raises(ResourceServerNotAllowed):
        services.app_update(actor=demo[actor], app=app, origin=COMMAND_LINE, resource_server=True)
    assert not App.objects.filter(resource_server=True).exists()


def test_a_non_administrator_can_still_edit_a_resource_server_without_touching_the_flag(
    demo, resource_server
):
    app = services.app_update(
        actor=demo["organization"], app=resource_server, origin=COMMAND_LINE, name="Renamed"
    )
    assert app.resource_server and app.name == "Renamed"


def test_the_portal_form_shows_the_flag_to_administrators_only(client, demo):
    owner = demo["user"]
    client.force_login(demo["organization"])
    page = client.get(add_url(owner, Api.UNIFIEDAPI))
    assert "resource_server" not in page.context["form"].fields
    client.post(add_url(owner, Api.UNIFIEDAPI), {**form_data(page), "resource_server": "on"})
    assert App.objects.get(owner=owner).resource_server is False

    client.force_login(demo["admin"])
    page = client.get(add_url(owner, Api.UNIFIEDAPI))
    assert "resource_server" in page.context["form"].fields
    client.post(add_url(owner, Api.UNIFIEDAPI), {**form_data(page), "name": "RS", "resource_server": "on"})
    assert App.objects.get(owner=owner, name="RS").resource_server is True


def test_the_portal_edit_form_of_a_non_administrator_leaves_the_flag_alone(client, demo, resource_server):
    client.force_login(demo["organization"])
    page = client.get(reverse("apps_registry:edit", args=[resource_server.pk]))
    assert "resource_server" not in page.context["form"].fields
    data = {name: page.context["form"][name].value() or "" for name in page.context["form"].fields}
    data.pop("trusted", None)
    response = client.post(reverse("apps_registry:edit", args=[resource_server.pk]), data)
    assert response.status_code == 302
    assert App.objects.get(pk=resource_server.pk).resource_server is True


def test_only_administrators_reach_the_flag_in_the_admin(client, demo, resource_server):
    change = reverse("admin:apps_registry_app_change", args=[resource_server.pk])
    client.force_login(demo["organization"])
    assert client.get(change).status_code == 302  # to the admin's sign-in: not staff
    client.force_login(demo["admin"])
    assert b'name="resource_server"' in client.get(change).content
