"""Issue 27: the contacts of a Client ID Metadata Document are kept, never mailed. Through a real
SMTP server on loopback and the outbox's worker: the document's first contact becomes its App's
admin e-mail, and neither what the owner does to the App nor refusing its host sends it
anything; the owning account hears of the changes (one digest for a refused host)."""

from __future__ import annotations

import pytest

from apps_registry.models import App
from apps_registry.services import COMMAND_LINE, app_set_enabled
from oauth.client_metadata import metadata_host_refuse
from tests.helpers import deliver_outbox
from tests.oauth.client_metadata.conftest import document
from tests.oauth.client_metadata.test_documents import authorize
from tests.served import SMTPServer

pytestmark = pytest.mark.django_db

STRANGER = "victim@stranger.example"


def test_a_documents_contacts_are_never_mailed(client, cimd, demo, documents, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    server = SMTPServer()
    urls = [
        documents.serve_json(path, document(documents.url(path), contacts=[STRANGER]))
        for path in ("/a.json", "/b.json")
    ]
    client.force_login(demo["user"])
    for url in urls:
        assert authorize(client, url).status_code == 200
    apps = list(App.objects.filter(client_id__in=urls))
    assert [app.email for app in apps] == [STRANGER, STRANGER]

    with server.running(settings):
        app_set_enabled(actor=cimd, app=apps[0], enabled=False, origin=COMMAND_LINE)
        app_set_enabled(actor=cimd, app=apps[0], enabled=True, origin=COMMAND_LINE)
        assert metadata_host_refuse(actor=cimd, account=cimd, host="localhost", origin=COMMAND_LINE) == 2
        deliver_outbox()

    delivered = sorted(address for envelope in server.received for address in envelope.rcpt_tos)
    assert delivered == [cimd.email] * 3  # disabled, enabled, and the refused host's digest
    assert b"App disabled: 2 Apps" in server.received[-1].original_content
