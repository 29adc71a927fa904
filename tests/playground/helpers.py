"""What the playground tests share: the registration sent, and the steps a user takes
(register.php and its consent, following the callback, pressing a step's button)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playground.views import FLOWS

REGISTRATION = {
    "name": "Playground App",
    "homepage": "https://playground.example/",
    "email": "dev@playground.example",
}


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def started_state(client) -> str:
    """The state of the flow the last playground page started."""
    flows = client.session[FLOWS]
    return max(flows.items(), key=lambda item: item[1]["started"])[0]


def register(client, callback: str, state: str, grant: bool = True) -> str:
    """Go through register.php and its consent page as the signed-in user; return the Location."""
    page = client.get("/oauth/register.php", {**REGISTRATION, "redirect_uri": callback, "state": state})
    assert page.status_code == 200, page.content
    data = {"request": page.context["blob"], "action": "register"}
    if grant:
        data["grant_access"] = "on"
    answer = client.post("/oauth/register/consent/", data)
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def follow(client, location: str):
    parts = urlsplit(location)
    return client.get(parts.path, parse_qs(parts.query, keep_blank_values=True))


def step(client, carry: dict, name: str, *, meta: dict | None = None, **extra):
    """Press a step's button with `carry` (and `extra`) as the form; `meta`: the request's
    environ (Host, address, https)."""
    data = {key: value for key, value in carry.items() if value}
    return client.post("/playground/step/", {**data, **extra, "step": name}, **(meta or {}))
