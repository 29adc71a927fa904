"""What the rotation tests share: a token response for a given secret, /uapi/@me's and
introspection's answers, an App given its second secret."""

from __future__ import annotations

from apps_registry import services
from apps_registry.models import App
from tests.helpers import TOKEN_URL, basic

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
