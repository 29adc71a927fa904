"""A metadata document's App is listed like any other (design §6.2): the App's page shows its URL
and when it was fetched, the Django admin its source, the command line lists it and refuses or
allows its host; purge_expired forgets the fetches the per-host limit no longer counts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import App, MetadataFetch
from oauth.housekeeping import purge_expired
from tests.oauth.client_metadata.conftest import document
from tests.oauth.client_metadata.test_documents import authorize

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(client, cimd, demo, documents) -> App:
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    assert authorize(client, url).status_code == 200
    client.logout()
    return App.objects.get(client_id=url)


def test_the_apps_page_shows_the_document_and_when_it_was_fetched(client, kept, cimd):
    client.force_login(cimd)
    page = client.get(reverse("apps_registry:edit", args=[kept.pk])).content.decode()
    assert 'id="metadata-document-badge">Metadata document<' in page
    assert kept.client_id in page and "last fetched" in page


def test_the_admin_lists_its_source(client, kept, demo):
    client.force_login(demo["admin"])
    listing = client.get(reverse("admin:apps_registry_app_changelist")).content.decode()
    assert "Client ID Metadata Document" in listing
    change = client.get(reverse("admin:apps_registry_app_change", args=[kept.pk])).content.decode()
    assert "Metadata document fetched" in change or "metadata document fetched" in change


def test_the_command_line_lists_refuses_and_allows(kept, cimd):
    out = io.StringIO()
    call_command("metadata_hosts", "list", "--account", cimd.username, stdout=out)
    assert kept.client_id in out.getvalue() and "enabled" in out.getvalue()
    out = io.StringIO()
    call_command("metadata_hosts", "refuse", "localhost", "--account", cimd.username, stdout=out)
    assert "1 App(s) disabled" in out.getvalue()
    kept.refresh_from_db()
    assert not kept.enabled
    out = io.StringIO()
    call_command("metadata_hosts", "list", "--account", cimd.username, stdout=out)
    assert "refused host: localhost" in out.getvalue() and "disabled" in out.getvalue()
    call_command("metadata_hosts", "allow", "localhost", "--account", cimd.username, stdout=io.StringIO())
    out = io.StringIO()
    call_command("metadata_hosts", "list", "--account", cimd.username, stdout=out)
    assert "refused host" not in out.getvalue()


def test_old_fetches_are_forgotten(kept):
    assert MetadataFetch.objects.count() == 1
    assert purge_expired(now=timezone.now() + timedelta(minutes=30))["metadata_document_fetches"] == 0
    assert purge_expired(now=timezone.now() + timedelta(hours=2))["metadata_document_fetches"] == 1
