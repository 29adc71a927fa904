"""The developer playground through the plain test client (one thread, no server: a step is
served in-process by the endpoint's own view): each step is served in this process and
connects nowhere, on the page's transport, with no cookie; a long answer is cut, the access
log keeps no callback query."""

from __future__ import annotations

import logging
import socket

import pytest
from django.http import HttpResponse

from apps_registry.models import AccessToken, Api
from playground.client import MAX_RESPONSE_BYTES, response_text
from portal.logging import RedactSecretQueries
from tests.factories import AppFactory
from tests.playground.helpers import step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_connections(monkeypatch):
    """Any attempt to open a network connection from here on fails the test."""

    def refuse(*args, **kwargs):
        pytest.fail(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def test_a_host_header_with_any_port_makes_the_portal_connect_nowhere(org, demo, settings, no_connections):
    """The finding: with PORTAL_BASE_URL unset, `Host: localhost:<port>` passes ALLOWED_HOSTS
    and the step (with the App's revealed secret) went to that port. Now the step is served
    in-process: nothing listening there is reached, and the step still works."""
    settings.PORTAL_BASE_URL = ""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        carry = {"client_id": app.client_id, "app": str(app.pk)}
        response = step(
            org, carry, "client_credentials", use_app_secret="on", meta={"HTTP_HOST": f"localhost:{port}"}
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    exchange = response.context["exchange"]
    assert exchange.status == 200, exchange.response_text
    assert response.context["carry"]["access_token"]
    assert AccessToken.objects.filter(application=app).count() == 1
    # The port is only displayed, as the address the user reached the portal at.
    assert f"Host: localhost:{port}" in exchange.request_text
    assert f"curl -sS -i http://localhost:{port}/oauth/token.php" in exchange.curl


def test_every_step_is_served_in_process(org, demo, base, no_connections):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = step(org, {"client_id": app.client_id, "client_secret": app.client_secret}, "client_credentials")
    carry = carry.context["carry"]
    for name, status in [("me", 200), ("me_query", 200), ("introspect", 200), ("revoke", 200), ("me", 401)]:
        assert step(org, carry, name).context["exchange"].status == status, name


def test_the_endpoint_gets_the_transport_of_the_page_so_plain_http_is_refused_as_for_an_app(org, demo, base):
    """The step's request comes over the transport the playground page came over: from a
    non-loopback address over plain HTTP the token endpoint refuses it (403), exactly as it
    refuses an App; over HTTPS it answers."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = {"client_id": app.client_id, "client_secret": app.client_secret}
    plain = step(org, carry, "client_credentials", meta={"REMOTE_ADDR": "203.0.113.7"})
    assert plain.context["exchange"].status == 403
    assert "must be called over HTTPS" in plain.context["exchange"].response_text
    assert not AccessToken.objects.exists()
    secure = step(org, carry, "client_credentials", meta={"REMOTE_ADDR": "203.0.113.7", "secure": True})
    assert secure.context["exchange"].status == 200


def test_the_step_request_carries_no_cookie_and_no_session(org, demo, base):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    carry = {"client_id": app.client_id, "client_secret": app.client_secret}
    exchange = step(org, carry, "client_credentials").context["exchange"]
    assert "Cookie" not in exchange.request_text
    assert "sessionid" not in exchange.response_text


def test_a_long_answer_is_cut():
    shown, body = response_text(HttpResponse(b"z" * (MAX_RESPONSE_BYTES + 1000), content_type="text/plain"))
    assert f"cut at {MAX_RESPONSE_BYTES} bytes" in shown
    assert shown.count("z") == MAX_RESPONSE_BYTES
    assert body == {}
    long_json = HttpResponse(b'{"a": "' + b"y" * MAX_RESPONSE_BYTES + b'"}', content_type="application/json")
    shown, body = response_text(long_json)
    assert body == {}
    assert "cut at" in shown


def test_the_access_log_keeps_no_callback_query():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /playground/callback/?client_secret=s3cret&code=c0de HTTP/1.1", "200", "512"),
        None,
    )
    assert RedactSecretQueries().filter(record)
    assert "s3cret" not in record.getMessage()
    assert "c0de" not in record.getMessage()
    assert "/playground/callback/?[redacted]" in record.getMessage()
