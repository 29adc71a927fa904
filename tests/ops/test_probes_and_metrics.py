"""/healthz, /readyz and /metrics (docs/deployment.md, section 9): no sign-in, nothing revealed,
readiness following the database, and the token endpoint's outcomes counted for Prometheus."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from prometheus_client.parser import text_string_to_metric_families

from ops import health
from tests.helpers import TOKEN_URL

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789abcdef"


@pytest.fixture(autouse=True)
def fresh_readiness():
    health.forget()
    yield
    health.forget()


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = METRICS_TOKEN


def scrape(client) -> dict[tuple[str, str], float]:
    """portal_token_requests_total by (grant_type, outcome), read from /metrics."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    counts = {}
    for family in text_string_to_metric_families(response.content.decode()):
        if family.name == "portal_token_requests":
            for sample in family.samples:
                if sample.name == "portal_token_requests_total":
                    counts[sample.labels["grant_type"], sample.labels["outcome"]] = sample.value
    return counts


# --- /healthz and /readyz ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_without_sign_in_and_reveal_nothing(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content in {b"ok\n", b"ready\n"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_plain_http_with_the_https_redirect_on(client, settings, path):
    """Probes speak HTTP to the process and count a 301 as success: no redirect for them."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301
    assert client.get(path).status_code == 200


def test_healthz_does_not_touch_the_database(client, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(connection, "cursor", fail_to_connect)
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


def fail_to_connect(*args, **kwargs):
    raise OperationalError("connection refused")


def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(connection, "cursor", fail_to_connect)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"not ready\n"


def test_readyz_is_503_while_a_migration_is_not_applied_and_200_once_it_is(client):
    recorder = MigrationRecorder(connection)
    applied = recorder.migration_qs.filter(app="oauth2_provider").order_by("-id").first()
    recorder.record_unapplied(applied.app, applied.name)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert b"oauth2_provider" not in response.content
    recorder.record_applied(applied.app, applied.name)
    assert client.get("/readyz").status_code == 200


def test_readyz_keeps_a_good_answer_briefly_and_a_bad_one_never(client, django_assert_max_num_queries):
    assert client.get("/readyz").status_code == 200
    with django_assert_max_num_queries(1):  # SELECT 1; the migrations were checked just now
        assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_get_or_head_only(client, path):
    assert client.post(path).status_code == 405
    assert client.head(path).status_code == 200


# --- /metrics ---------------------------------------------------------------------------------


def test_metrics_is_a_404_unless_a_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"],
)
def test_metrics_are_refused_without_the_token(client, metrics_on, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"portal_token_requests" not in response.content


def test_token_outcomes_are_counted_by_grant_and_error(client, metrics_on, trusted_app):
    before = scrape(client)
    good = {"grant_type": "client_credentials", "client_id": trusted_app.client_id}
    assert client.post(TOKEN_URL, {**good, "client_secret": trusted_app.client_secret}).status_code == 200
    for _ in range(3):
        assert client.post(TOKEN_URL, {**good, "client_secret": "wrong"}).status_code == 401
    assert client.post(TOKEN_URL, {**good, "grant_type": "password"}).status_code == 400
    assert client.post(TOKEN_URL, {"client_id": trusted_app.client_id}).status_code == 400
    secret = trusted_app.client_secret
    bad_code = {"grant_type": "authorization_code", "code": "nope", "client_secret": secret}
    assert client.post(TOKEN_URL, {**good, **bad_code}).status_code == 400

    after = scrape(client)

    def delta(grant: str, outcome: str) -> float:
        return after.get((grant, outcome), 0) - before.get((grant, outcome), 0)

    assert delta("client_credentials", "issued") == 1
    assert delta("client_credentials", "invalid_client") == 3
    assert delta("other", "unsupported_grant_type") == 1  # the client's value never becomes a label
    assert delta("missing", "invalid_request") == 1
    assert delta("authorization_code", "invalid_grant") == 1
    assert ("password", "unsupported_grant_type") not in after
