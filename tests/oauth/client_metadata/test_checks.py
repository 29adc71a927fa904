"""`check --deploy` on Client ID Metadata Documents (design §6.2): a warning while they are on, an
error while the loopback switch is."""

from django.core.checks import Error, Warning

from oauth.checks import (
    client_metadata_documents_are_deliberate,
    client_metadata_from_loopback_is_for_development,
)


def test_off_by_default_nothing_is_said(settings):
    settings.OAUTH_CLIENT_METADATA_ACCOUNT = ""
    settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = False
    assert client_metadata_documents_are_deliberate(None) == []
    assert client_metadata_from_loopback_is_for_development(None) == []


def test_on_it_warns_what_it_risks(settings):
    settings.OAUTH_CLIENT_METADATA_ACCOUNT = "open-clients"
    (warning,) = client_metadata_documents_are_deliberate(None)
    assert isinstance(warning, Warning) and warning.id == "oauth.W002"
    assert "'open-clients'" in warning.msg and "fetches" in warning.msg


def test_the_loopback_switch_is_refused(settings):
    settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = True
    (error,) = client_metadata_from_loopback_is_for_development(None)
    assert isinstance(error, Error) and error.id == "oauth.E002"
