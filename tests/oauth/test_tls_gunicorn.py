"""design §7 under real gunicorn (issue 27, finding 6): gunicorn has a trust list of its own for
X-Forwarded-Proto (`forwarded_allow_ips`, by default 127.0.0.1 and ::1) and sets the request's
scheme from it before Django sees the request. config/gunicorn_conf.py makes it TRUSTED_PROXIES,
so a loopback client's forged header gets the 403 Django's test client shows (test_tls.py)."""

from __future__ import annotations

import pytest
import requests

from apps_registry.models import AccessToken, Api
from tests.factories import AppFactory
from tests.served import Gunicorn, served_portal_env

TIMEOUT = 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("trusted_proxies", "status"), [("", 403), ("127.0.0.1", 200)])
def test_a_forged_forwarded_proto_from_loopback_counts_only_from_a_trusted_proxy(
    demo, tmp_path, trusted_proxies, status
):
    """Plain HTTP to gunicorn on loopback, from 127.0.0.1, claiming HTTPS: with TRUSTED_PROXIES
    empty (the default) the portal answers 403 "must be called over HTTPS" and issues nothing;
    with 127.0.0.1 trusted (nginx on the host, which overwrites the header) it is believed."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    server = Gunicorn(served_portal_env(tmp_path, TRUSTED_PROXIES=trusted_proxies), timeout=TIMEOUT)
    try:
        response = requests.post(
            f"{server.url}/oauth/token.php",
            data={"grant_type": "client_credentials"},
            auth=(app.client_id, app.client_secret),
            headers={"X-Forwarded-Proto": "https"},
            timeout=TIMEOUT,
        )
    finally:
        server.stop()

    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"] == "invalid_request"
        assert "HTTPS" in response.json()["error_description"]
        assert not AccessToken.objects.filter(application=app).exists()
    else:
        assert response.json()["token_type"] == "Bearer"
