"""The API kinds (apps_registry/apis.py): each one's rules, declared once, and what is derived
from them."""

import subprocess
import sys

from apps_registry.apis import API_KINDS, REGISTRATION_DEFAULT, Api, api_kind, api_served_at, api_to_try
from oauth.discovery import RESOURCES, SCOPES
from tests.factories import AdministratorFactory, OrganizationFactory, ServiceProviderFactory, UserFactory


def test_service_providers_cannot_own_unifiedapi_apps():
    # Moved from tests/accounts/test_models.py with the rule (Account.may_own_unifiedapi_apps).
    assert not api_kind(Api.UNIFIEDAPI).may_be_owned_by(ServiceProviderFactory.build())
    assert api_kind(Api.UNIFIEDAPI).may_be_owned_by(OrganizationFactory.build())


def test_every_kind_of_account_may_own_systemapi_apps():
    for factory in (AdministratorFactory, ServiceProviderFactory, OrganizationFactory, UserFactory):
        assert api_kind(Api.SYSTEMAPI).may_be_owned_by(factory.build())


def test_the_choices_the_resources_and_the_scopes_come_from_the_kinds():
    assert Api.choices == [("systemapi", "SystemAPI"), ("unifiedapi", "UnifiedAPI")]
    assert {segment: resource.api for segment, resource in RESOURCES.items()} == {
        "systemapi": "systemapi",
        "uapi": "unifiedapi",
        "unifiedapi": "unifiedapi",
    }
    assert SCOPES == ["systemapi", "unifiedapi"]
    assert REGISTRATION_DEFAULT == "unifiedapi"


def test_the_portal_serves_unifiedapi_at_its_two_paths_and_systemapi_nowhere():
    unified = api_kind(Api.UNIFIEDAPI)
    assert unified.me_paths == (("uapi/@me", "me"), ("unifiedapi/@me", "unifiedapi_me"))
    assert unified.path_prefixes == ("/uapi/", "/unifiedapi/")
    assert api_kind(Api.SYSTEMAPI).path_prefixes == ()
    assert api_served_at("/unifiedapi/@me") is unified and api_served_at("/uapi/@me") is unified
    assert api_served_at("/systemapi/@me") is None and api_served_at("/accounts/1/") is None


def test_the_playground_tries_unifiedapi_where_the_account_may_own_it():
    assert api_to_try(OrganizationFactory.build()) == Api.UNIFIEDAPI
    assert api_to_try(ServiceProviderFactory.build()) == Api.SYSTEMAPI


def test_the_kinds_are_read_without_the_app_registry():
    """Settings and the endpoint declaration import them before Django sets up."""
    code = (
        "import sys; import apps_registry.apis as apis; "
        "assert 'accounts.models' not in sys.modules and 'apps_registry.models' not in sys.modules; "
        "print(len(apis.API_KINDS))"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, env={}, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(API_KINDS))
