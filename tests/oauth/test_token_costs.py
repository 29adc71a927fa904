"""/oauth/token.php (design §6): what a token request costs in statements (make bench, P1
and P2), the app_authorized signal, the App row the endpoint loads."""

import pytest
from django.utils import timezone

from apps_registry.models import AccessToken, App
from tests.helpers import TOKEN_URL, basic
from tests.oauth.helpers import client_credentials

pytestmark = pytest.mark.django_db


# --- what a token request costs (make bench, P1 and P2) ------------------------------------

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def statements(captured) -> list[str]:
    """The SQL a request ran, without the transaction control around it (which differs
    between SQLite and PostgreSQL and between the suite and production)."""
    return [query["sql"] for query in captured if not query["sql"].startswith(TRANSACTION_CONTROL)]


def test_client_credentials_costs_one_select_and_one_insert(client, trusted_app):
    """The App is read once (with its secrets), the token written once, and never read back
    (django-oauth-toolkit's view reads it back by its checksum for the app_authorized signal;
    ours hands it over). That the secret is still one the client proved it holds is checked
    by the database, inside the INSERT (migration 0009), not by a query of its own. The
    secret's last use was written by the first request of the minute (the warm-up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client_credentials(client, trusted_app).status_code == 200  # the minute's first use
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
        )

    assert response.status_code == 200
    sql = statements(captured)
    assert len(sql) == 2, sql
    assert sql[0].startswith("SELECT") and "apps_registry_app" in sql[0]
    assert sql[1].startswith("INSERT") and "apps_registry_accesstoken" in sql[1]


@pytest.mark.django_db(transaction=True)
def test_client_credentials_opens_a_transaction_on_sqlite_only(client, trusted_app, monkeypatch):
    """In autocommit, as in production: on PostgreSQL the one write runs on its own, no
    BEGIN/COMMIT around it (Django's atomic() turns autocommit off and on), so the request is
    two round trips, the App row and the INSERT (oauth.views.client_credentials); on SQLite it
    is a transaction of its own, which queues at the writer lock file rather than sleeping in
    SQLite's busy handler (portal.speedups.prepared.insert)."""
    from django.db import connection

    assert client_credentials(client, trusted_app).status_code == 200  # the minute's first use
    switched = []
    original = connection.set_autocommit
    monkeypatch.setattr(connection, "set_autocommit", lambda *a, **k: switched.append(a) or original(*a, **k))
    assert client_credentials(client, trusted_app).status_code == 200
    assert switched == ([] if connection.vendor == "postgresql" else [(False,), (True,)])


@pytest.mark.parametrize("where", ["body", "basic"])
def test_a_wrong_secret_costs_one_select(client, trusted_app, where):
    """No second lookup of the App (in vain, for a client_id that is not in the body) and no
    password hashing: a flood of wrong secrets costs the server what a right one does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        if where == "body":
            response = client_credentials(client, trusted_app, client_secret="x" * 32)
        else:
            response = client.post(
                TOKEN_URL,
                {"grant_type": "client_credentials"},
                HTTP_AUTHORIZATION=basic(trusted_app.client_id, "x" * 32),
            )

    assert response.status_code == 401
    assert len(statements(captured)) == 1, statements(captured)


def test_an_unknown_key_in_basic_and_body_is_looked_up_once(client, trusted_app):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL,
            {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "nope"},
            HTTP_AUTHORIZATION=basic("nope", "nope"),
        )

    assert response.status_code == 401
    assert len(statements(captured)) == 1, statements(captured)


def test_app_authorized_is_sent_with_the_issued_token(client, trusted_app):
    from oauth2_provider.signals import app_authorized

    received = []

    def receiver(sender, request, token, **kwargs):
        received.append(token)

    app_authorized.connect(receiver)
    try:
        response = client_credentials(client, trusted_app)
    finally:
        app_authorized.disconnect(receiver)

    assert response.status_code == 200
    assert len(received) == 1
    assert received[0].pk == AccessToken.objects.get().pk
    assert received[0].application_id == trusted_app.pk


def test_no_app_authorized_for_a_refused_request(client, trusted_app):
    from oauth2_provider.signals import app_authorized

    received = []
    app_authorized.connect(receiver := lambda sender, token, **kwargs: received.append(token))
    try:
        assert client_credentials(client, trusted_app, client_secret="x" * 32).status_code == 401
    finally:
        app_authorized.disconnect(receiver)
    assert received == []


def test_the_app_the_token_endpoint_loads_is_the_app_the_orm_reads(web_app, demo):
    """load_app_with_secrets reads the row with a cursor and the ORM's converters: every field
    comes back as the ORM gives it (booleans, aware datetimes, JSON lists), with the secrets."""
    from oauth.clients import load_app_with_secrets

    App.objects.filter(pk=web_app.pk).update(
        trusted=True, extra_redirect_uris=["https://other.example/cb"], last_used=timezone.now()
    )
    loaded, expected = load_app_with_secrets(web_app.client_id), App.objects.get(pk=web_app.pk)
    for field in App._meta.concrete_fields:
        value = getattr(loaded, field.attname)
        assert value == getattr(expected, field.attname), field.name
        assert type(value) is type(getattr(expected, field.attname)), field.name
    assert [secret.pk for secret in loaded.live_secrets] == [web_app.live_secrets[0].pk]
    assert loaded.matching_secret(web_app.client_secret) is not None
    assert load_app_with_secrets("no-such-app") is None


@pytest.mark.parametrize("grant_type", ["client_credentials", "refresh_token"])
def test_an_error_report_of_a_failed_token_request_holds_no_secret(
    client, trusted_app, monkeypatch, grant_type
):
    """A token request that fails with a 500 is reported by Django (to the logs, to the
    admins) with its POST parameters: client_secret is hidden there (sensitive_post_parameters,
    as django-oauth-toolkit's token response has it), and the Basic header with it, on either
    path (the portal's own client_credentials, and django-oauth-toolkit's)."""
    from django.core.signals import got_request_exception
    from django.views.debug import ExceptionReporter

    import oauth.clients

    def broken(client_id, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(oauth.clients, "load_app_with_secrets", broken)
    monkeypatch.setattr("oauth.validator.load_app_with_secrets", broken)
    reports = []

    def report(sender, request, **kwargs):
        import sys

        reports.append(ExceptionReporter(request, *sys.exc_info()).get_traceback_text())

    got_request_exception.connect(report)
    client.raise_request_exception = False
    try:
        response = client.post(
            TOKEN_URL,
            {
                "grant_type": grant_type,
                "refresh_token": "r" * 30,
                "client_secret": trusted_app.client_secret,
                "client_id": trusted_app.client_id,
            },
            HTTP_AUTHORIZATION=basic(trusted_app.client_id, trusted_app.client_secret),
        )
    finally:
        got_request_exception.disconnect(report)
    assert response.status_code == 500
    [text] = reports
    assert "the database went away" in text and "client_secret" in text
    assert trusted_app.client_secret not in text
    assert basic(trusted_app.client_id, trusted_app.client_secret).split()[1] not in text


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_token_commits_without_waiting_for_its_flush(client, trusted_app, monkeypatch):
    """On PostgreSQL the own path's INSERT is its own transaction with synchronous_commit off
    (portal.speedups.prepared.insert, flush=False): a commit that waited for the disk cost
    more than the rest of the request (make bench, P1). The token is visible at once, and a
    trigger's refusal still reaches the client as invalid_client."""
    import importlib

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps_registry.services import COMMAND_LINE, app_set_enabled

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's WAL commits without a flush already (synchronous=NORMAL)")
    with CaptureQueriesContext(connection) as captured:
        response = client_credentials(client, trusted_app)
    assert response.status_code == 200
    [insert] = [query["sql"] for query in captured if "INSERT" in query["sql"]]
    assert "FROM (SELECT set_config('synchronous_commit', 'off', true))" in insert
    assert AccessToken.objects.filter(pk__isnull=False).count() == 1
    with connection.cursor() as cursor:  # for that transaction only
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)

    own = importlib.import_module("oauth.views.client_credentials")
    authenticate = own.authenticate

    def then_disable(*args, **kwargs):
        found = authenticate(*args, **kwargs)
        app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=False, origin=COMMAND_LINE)
        return found

    monkeypatch.setattr(own, "authenticate", then_disable)
    refused = client_credentials(client, trusted_app)
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}
    assert AccessToken.objects.count() == 1
