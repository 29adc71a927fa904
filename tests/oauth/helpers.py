"""What the token endpoint's tests share: the shape of a token, and a client_credentials
request with extra fields or headers."""

import re

from tests.helpers import TOKEN_URL

TOKEN_SHAPE = re.compile(r"\A[A-Za-z0-9._-]+\Z")


def split_headers(extra: dict) -> tuple[dict, dict]:
    """Test-client keyword arguments: HTTP_* are headers, the rest are form fields."""
    headers = {key: value for key, value in extra.items() if key.startswith("HTTP_")}
    return {key: value for key, value in extra.items() if key not in headers}, headers


def client_credentials(client, app, **extra):
    data = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    fields, headers = split_headers(extra)
    return client.post(TOKEN_URL, {**data, **fields}, **headers)
