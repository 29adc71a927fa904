"""The playground's in-process client: each step of a flow as the request an App would send
(a `Call`: method, path, headers, body), served in this process by the portal's own
middleware, URL resolver and endpoint view (`InProcessHandler`), with no network round trip:
the playground connects nowhere, whatever the Host header says, and holds no second worker.
`perform` returns both sides as an `Exchange`: the raw request, the raw answer (cut at
MAX_RESPONSE_BYTES), what answered it, and a curl command sending the same to the portal's
public address (PORTAL_BASE_URL, or the validated host of the request; display only).

The pages that use it are in views.py.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from portal.middleware import client_ip

USER_AGENT = "app-registration-portal-playground"
MAX_RESPONSE_BYTES = 64 * 1024  # of an endpoint's answer shown on the page


def base_url(request: HttpRequest) -> str:
    """The portal's public address, for display and for the callback: PORTAL_BASE_URL, or the
    request's scheme and host (which Django checked against ALLOWED_HOSTS). Nothing connects to it."""
    return (settings.PORTAL_BASE_URL or f"{request.scheme}://{request.get_host()}").rstrip("/")


@dataclass
class Exchange:
    """One request the playground dispatched to an endpoint, and the answer."""

    request_text: str
    curl: str
    status: int
    response_text: str = ""
    body: dict = field(default_factory=dict)
    # What answered: the URL name, the view and the path the resolver matched in-process.
    endpoint: str = ""
    view: str = ""
    path: str = ""


@dataclass
class Call:
    """The request an App would send for a step: method, path, headers, form body."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    json: dict | None = None  # a JSON body instead of a form (RFC 7591 registration)

    @property
    def target(self) -> str:
        return self.path + (f"?{urlencode(self.query)}" if self.query else "")

    @property
    def body(self) -> bytes:
        if self.json is not None:
            return json.dumps(self.json, indent=2).encode("utf-8")
        return urlencode(self.form).encode("ascii") if self.form else b""

    def wire_headers(self, host: str) -> dict[str, str]:
        """The headers as sent: Host, the step's own, and the body's type and length."""
        headers = {"Host": host, "User-Agent": USER_AGENT, **self.headers}
        if self.json is not None or self.form:
            json_body = self.json is not None
            headers["Content-Type"] = "application/json" if json_body else "application/x-www-form-urlencoded"
            headers["Content-Length"] = str(len(self.body))
        return headers


def build_call(step: str, data: dict) -> Call:
    """The request an App sends for `step` (a name of views.STEPS), from what the flow carried."""
    credentials = {"client_id": data["client_id"]}
    if data["client_secret"]:  # a public client sends its client_id alone
        credentials["client_secret"] = data["client_secret"]
    token_path = reverse("oauth:token")
    if step == "token":
        form = {"grant_type": "authorization_code", "code": data["code"], **credentials}
        if data["redirect_uri"]:
            form["redirect_uri"] = data["redirect_uri"]
        if data["code_verifier"]:
            form["code_verifier"] = data["code_verifier"]
        return Call("POST", token_path, form=form)
    if step == "refresh":
        form = {"grant_type": "refresh_token", "refresh_token": data["refresh_token"], **credentials}
        return Call("POST", token_path, form=form)
    if step == "client_credentials":
        return Call("POST", token_path, form={"grant_type": "client_credentials", **credentials})
    if step == "me":
        return Call("GET", reverse("oauth:me"), headers={"Authorization": f"Bearer {data['access_token']}"})
    if step == "me_query":
        return Call("GET", reverse("oauth:me"), query={"accessRequestToken": data["access_token"]})
    path = reverse("oauth:introspect" if step == "introspect" else "oauth:revoke")
    form = {"token": data["access_token"], "token_type_hint": "access_token", **credentials}
    return Call("POST", path, form=form)


def request_text(call: Call, host: str) -> str:
    lines = [f"{call.method} {call.target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in call.wire_headers(host).items()]
    return "\n".join(lines) + "\n\n" + call.body.decode("utf-8")


def curl_command(call: Call, base: str) -> str:
    """A curl command sending the same request to the portal's public address, one option a line."""
    lines = [f"curl -sS -i {shlex.quote(base + call.target)}"]
    lines += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in call.headers.items()]
    lines += [f"--data-urlencode {shlex.quote(f'{key}={value}')}" for key, value in call.form.items()]
    if call.json is not None:
        lines += ["-H 'Content-Type: application/json'", f"--data-raw {shlex.quote(json.dumps(call.json))}"]
    return " \\\n     ".join(lines)


def inner_request(outer: HttpRequest, call: Call) -> WSGIRequest:
    """The step's request as the portal would receive it from the user's App: on the same
    transport as the page it was asked for (https, or plain HTTP, which the TLS-only endpoints
    refuse unless OAUTH_ALLOW_LOOPBACK_HTTP lets a loopback client through), from the same
    address, for the same (validated) host, with no cookie: no session, no sign-in."""
    body = call.body
    environ = {
        "REQUEST_METHOD": call.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": call.path,
        "QUERY_STRING": urlencode(call.query),
        "SERVER_NAME": outer.META.get("SERVER_NAME", "localhost"),
        "SERVER_PORT": str(outer.META.get("SERVER_PORT", "443" if outer.is_secure() else "80")),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": client_ip(outer) or outer.META.get("REMOTE_ADDR", ""),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if outer.is_secure() else "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in call.wire_headers(outer.get_host()).items():
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = value
    return WSGIRequest(environ)


class InProcessHandler(BaseHandler):
    """The portal's own request handling (the middleware stack, the URL resolver, the view),
    called without a network round trip: what gunicorn's worker does with a request, minus the
    socket and the request_started/request_finished signals, which would close the database
    connection of the request the playground is still serving."""

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware()


def dispatch(outer: HttpRequest, call: Call) -> HttpResponse:
    """Serve the step's request in this process, exactly as the endpoint serves an App.
    The response carries the request it answered (`response.inner_request`), whose
    resolver_match names the endpoint that actually answered."""
    # Built per call (a few instances): a step is a person pressing a button, and the
    # middleware then always follows the settings in force.
    inner = inner_request(outer, call)
    response = InProcessHandler().get_response(inner)
    response.inner_request = inner
    return response


def answered_by(response: HttpResponse) -> tuple[str, str, str]:
    """(URL name, view, path) of what answered, as the URL resolver matched it; a request no
    view answered (a 404 from the resolver, a middleware's own answer) names none."""
    inner = getattr(response, "inner_request", None)
    match = getattr(inner, "resolver_match", None)
    if match is None:
        return "", "", inner.path if inner is not None else ""
    # A class-based view is named by its class, as Django's own ResolverMatch repr does.
    func = getattr(match.func, "view_class", match.func)
    view = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"
    return match.view_name or "", view.strip("."), inner.path


def response_text(response: HttpResponse) -> tuple[str, dict]:
    """The answer as it would arrive, its body cut at MAX_RESPONSE_BYTES."""
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{name}: {value}" for name, value in response.items()]
    lines += [f"Set-Cookie: {cookie.OutputString()}" for cookie in response.cookies.values()]
    if response.streaming:
        chunks, size = [], 0
        for chunk in response.streaming_content:
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                break
        content = b"".join(chunks)
    else:
        content = response.content
    cut = len(content) > MAX_RESPONSE_BYTES
    content = content[:MAX_RESPONSE_BYTES]
    body: object = {}
    if not cut and response.get("Content-Type", "").startswith("application/json"):
        try:
            body = json.loads(content)
            shown = json.dumps(body, indent=2)
        except ValueError:
            body = {}
    if not body:
        shown = content.decode("utf-8", errors="replace")
        if cut:
            shown += f"\n[... cut at {MAX_RESPONSE_BYTES} bytes]"
    return "\n".join(lines) + "\n\n" + shown, body if isinstance(body, dict) else {}


def perform(request: HttpRequest, call: Call) -> Exchange:
    """Dispatch the step to the endpoint's view in this process and show both sides."""
    response = dispatch(request, call)
    shown, body = response_text(response)
    endpoint, view, path = answered_by(response)
    return Exchange(
        request_text=request_text(call, request.get_host()),
        curl=curl_command(call, base_url(request)),
        status=response.status_code,
        response_text=shown,
        body=body,
        endpoint=endpoint,
        view=view,
        path=path,
    )
