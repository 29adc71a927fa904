"""What the deployment tests share: the public host behind the TLS-terminating proxy, the
metrics token, one gunicorn process as the guide's systemd unit runs it, and one user's
browser behind the proxy."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from pathlib import Path

import requests
from django.conf import settings

from tests.served import Gunicorn

ROOT = settings.BASE_DIR
HOST = "portal.example"
ORIGIN = f"https://{HOST}"
TIMEOUT = 60
METRICS_TOKEN = secrets.token_urlsafe(32)


def portal_process(env: dict[str, str], metrics_dir: Path, *options: str) -> Gunicorn:
    """One gunicorn process as the guide's systemd unit runs it: its own PROMETHEUS_MULTIPROC_DIR."""
    return Gunicorn({**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, *options, timeout=TIMEOUT)


class Browser:
    """One user's browser behind the TLS-terminating proxy: its cookies (Secure ones too, the
    proxy's connection being HTTPS) go to whichever portal process the proxy picks."""

    def __init__(self, address: str = "203.0.113.9") -> None:
        self.address = address
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, server: Gunicorn, method: str, path: str, https: bool = True, **fields):
        headers = {"Host": HOST, "X-Forwarded-For": self.address}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method == "POST":
            headers.update(Origin=ORIGIN, Referer=f"{ORIGIN}{path}")
            fields.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
        response = requests.request(
            method,
            server.url + path,
            data=fields or None,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def sign_in(self, server: Gunicorn, username: str, password: str):
        self.request(server, "GET", "/accounts/login/")
        return self.request(server, "POST", "/accounts/login/", username=username, password=password)
