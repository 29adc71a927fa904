"""The developer playground's pages: register an App through /oauth/register.php or with
RFC 7591 (/oauth/register, JSON), or authorize an existing one through /oauth/authorize.php,
and watch what the App receives; then take each next step (token, refresh, /uapi/@me,
introspect, revoke, client_credentials).

Nothing is short-circuited: the browser goes to the real consent pages, and each next step is
the request an App would send, served in this process by the in-process client (client.py),
which shows that raw request, the raw answer and a curl command sending the same.
The `state` of a flow (and its PKCE verifier) stays in the session only until the callback
consumes it; secrets and tokens travel between steps in the page's POST forms, on pages sent
with `Cache-Control: no-store`, and are never logged or stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode, urlsplit

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from apps_registry.apis import api_kind, api_to_try
from apps_registry.models import Api, App, AuditSource, redirect_uri_schemes
from apps_registry.services import Origin, app_reveal_secret
from portal.http import sensitive

from .client import Call, base_url, build_call, perform

FLOWS = "playground_flows"  # session key: {state: {"kind", "started", ...}}
FLOW_MAX_AGE = 3600  # seconds; a consent page is good for an hour too
MAX_FLOWS = 5  # flows started and not yet back at the callback (several tabs)
REFERRER_POLICY = "strict-origin"


def page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A playground page: never cached (it may hold a secret, a code or a token). The Referer
    its links and forms send is the origin alone, never the callback's query (which holds the
    secret and the code); not no-referrer, with which Chromium posts the page's own forms with
    `Origin: null`, refused by the CSRF check."""
    return sensitive(render(request, template, context, status=status), referrer_policy=REFERRER_POLICY)


def callback_url(request: HttpRequest) -> str:
    return base_url(request) + reverse("playground:callback")


def callback_problem(callback: str) -> str | None:
    """Why register.php and authorize.php would refuse the playground's callback, if they would."""
    if urlsplit(callback).scheme not in redirect_uri_schemes(callback):
        return (
            f"The playground's callback {callback} is plain HTTP, and redirect URLs must be https "
            "(plain HTTP only for a loopback address with OAUTH_ALLOW_LOOPBACK_HTTP on). "
            "Open the portal over https, or set PORTAL_BASE_URL."
        )
    return None


# --- Flows: the state sent, kept until the callback -------------------------------------


def start_flow(request: HttpRequest, kind: str, **extra) -> str:
    """A new `state`, remembered in the session (with `extra`) until the callback comes back."""
    now = time.time()
    flows = {s: f for s, f in request.session.get(FLOWS, {}).items() if now - f["started"] < FLOW_MAX_AGE}
    newest = sorted(flows.items(), key=lambda item: item[1]["started"])[-(MAX_FLOWS - 1) :]
    state = secrets.token_urlsafe(16)
    request.session[FLOWS] = {**dict(newest), state: {"kind": kind, "started": now, **extra}}
    return state


def finish_flow(request: HttpRequest, state: str) -> tuple[dict | None, str]:
    """Forget the flow of `state` (and any expired one); return it and how `state` compares:
    `match`, `expired`, `mismatch` (no flow started here sent it) or `missing`."""
    flows = dict(request.session.get(FLOWS, {}))
    flow = flows.pop(state, None) if state else None
    now = time.time()
    flows = {s: f for s, f in flows.items() if now - f["started"] < FLOW_MAX_AGE}
    if flows:
        request.session[FLOWS] = flows
    else:
        request.session.pop(FLOWS, None)
    if not state:
        return None, "missing"
    if flow is None:
        return None, "mismatch"
    if now - flow["started"] >= FLOW_MAX_AGE:
        return None, "expired"
    return flow, "match"


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- Pages -------------------------------------------------------------------------------


def _my_apps(request: HttpRequest):
    return App.objects.filter(owner=request.user).only("pk", "name", "api", "trusted").order_by("name")[:20]


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The register.php parameters, prefilled; the form goes straight to register.php."""
    callback = callback_url(request)
    api = api_to_try(request.user)
    register_url = base_url(request) + reverse("oauth:register")
    defaults = {
        "name": "Playground App",
        "description": "Registered from the developer playground.",
        "homepage": base_url(request) + "/",
        "image_uri": "",
        "email": request.user.email or "developer@example.com",
        "phone": "",
        "api": api,
        "redirect_uri": callback,
        "state": start_flow(request, "register"),
    }
    context = {
        "register_url": register_url,
        # The same request as a link an App could put on its page (playground.js keeps it in
        # step with the form).
        "register_link": register_url + "?" + urlencode({k: v for k, v in defaults.items() if v}),
        "rfc7591_url": base_url(request) + reverse("oauth:register_client_create"),
        "callback": callback,
        "callback_problem": callback_problem(callback),
        "defaults": defaults,
        "api": api,
        "apis": Api.choices,
        "my_apps": _my_apps(request),
    }
    return page(request, "playground/start.html", context)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """What the App received, parameter by parameter; whether `state` matches; next steps."""
    received = [(key, value) for key, values in request.GET.lists() for value in values]
    given = request.GET.get("state", "")
    flow, state_check = finish_flow(request, given)
    kind = flow["kind"] if flow else ("register" if "client_id" in request.GET else "authorize")
    code = request.GET.get("code", "")
    carry = {"redirect_uri": callback_url(request)}
    app = None
    if flow and flow["kind"] == "authorize":
        app = App.objects.manageable_by(request.user).filter(pk=flow["app"]).first()
        if app is not None:
            carry.update(client_id=app.client_id, app=str(app.pk), redirect_uri=flow["redirect_uri"])
            carry["code_verifier"] = flow.get("code_verifier") or ""
    elif request.GET.get("client_id"):
        carry.update(client_id=request.GET["client_id"], client_secret=request.GET.get("client_secret", ""))
        app = App.objects.manageable_by(request.user).filter(client_id=request.GET["client_id"]).first()
    can_exchange = state_check == "match" and bool(code) and "client_id" in carry
    if can_exchange:
        carry["code"] = code
    context = {
        "kind": kind,
        "received": received,
        "state_check": state_check,
        "code": code,
        "error": request.GET.get("error", ""),
        "error_description": request.GET.get("error_description", ""),
        "app": app,
        "carry": carry,
        "next_steps": [("token", STEPS["token"][0])] if can_exchange else [],
        "needs_secret": can_exchange and not carry.get("client_secret") and not (app and app.is_public),
    }
    return page(request, "playground/callback.html", context)


@require_GET
def app_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An existing App: start authorize.php for it, exchange a code by hand, or (trusted)
    ask for a client_credentials token."""
    app = get_object_or_404(App.objects.manageable_by(request.user).select_related("owner"), pk=pk)
    callback = callback_url(request)
    context = {
        "app": app,
        "callback": callback,
        "callback_problem": callback_problem(callback),
        "intercepted": app.redirect_uri == callback,
        "carry": {"client_id": app.client_id, "app": str(app.pk), "redirect_uri": app.redirect_uri},
        "me_works": bool(api_kind(app.api).me_paths),
    }
    return page(request, "playground/app.html", context)


@require_POST
def app_authorize(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the browser to /oauth/authorize.php for the App, with a fresh state (and PKCE)."""
    app = get_object_or_404(App.objects.manageable_by(request.user), pk=pk)
    verifier, challenge = pkce_pair() if request.POST.get("pkce") == "on" else (None, None)
    redirect_uri = app.redirect_uri
    state = start_flow(request, "authorize", app=app.pk, code_verifier=verifier, redirect_uri=redirect_uri)
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri}
    params["state"] = state
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    url = reverse("oauth:authorize") + "?" + urlencode(params)
    return sensitive(HttpResponseRedirect(url), referrer_policy=REFERRER_POLICY)


# --- Steps: one request each, to the portal's own endpoints, served in this process ---------


# Each step: its button, and what it needs from the flow.
STEPS = {
    "token": ("Exchange the code at /oauth/token.php", ("code", "client_id", "client_secret")),
    "refresh": ("Refresh the token at /oauth/token.php", ("refresh_token", "client_id", "client_secret")),
    "client_credentials": ("Get a client_credentials token", ("client_id", "client_secret")),
    "me": ("Call /uapi/@me with Authorization: Bearer", ("access_token",)),
    "me_query": ("Call /uapi/@me with accessRequestToken", ("access_token",)),
    "introspect": ("Introspect the access token", ("access_token", "client_id", "client_secret")),
    "revoke": ("Revoke the access token", ("access_token", "client_id", "client_secret")),
}


class StepForm(forms.Form):
    """What a step button sends: the step, and what the flow has gathered so far."""

    step = forms.ChoiceField(choices=[(name, name) for name in STEPS])
    client_id = forms.CharField(required=False, max_length=255)
    client_secret = forms.CharField(required=False, max_length=255, strip=False)
    use_app_secret = forms.BooleanField(required=False)
    app = forms.IntegerField(required=False, min_value=1)
    code = forms.CharField(required=False, max_length=255)
    code_verifier = forms.CharField(required=False, max_length=128)
    redirect_uri = forms.CharField(required=False, max_length=2000)
    access_token = forms.CharField(required=False, max_length=255)
    refresh_token = forms.CharField(required=False, max_length=255)


# What the step pages carry to the next step in hidden fields (never in the session).
CARRIED = tuple(name for name in StepForm.base_fields if name not in {"step", "use_app_secret"})
MISSING = {
    "code": "There is no authorization code to exchange.",
    "client_id": "The App ID/key is missing.",
    "client_secret": "The App secret is missing: paste it, or use the App's secret.",
    "refresh_token": "There is no refresh token.",
    "access_token": "There is no access token.",
}


def _steps_available(carry: dict) -> list[tuple[str, str]]:
    wanted = []
    if carry.get("code"):
        wanted.append("token")
    if carry.get("refresh_token"):
        wanted.append("refresh")
    if carry.get("access_token"):
        wanted += ["me", "me_query", "introspect", "revoke"]
    return [(step, STEPS[step][0]) for step in wanted]


@sensitive_post_parameters("client_secret", "code", "code_verifier", "access_token", "refresh_token")
@require_POST
def step(request: HttpRequest) -> HttpResponse:
    """Take one step: check what it needs, send it, show the exchange and the next steps."""
    form = StepForm(request.POST)
    if not form.is_valid():
        return page(request, "playground/step.html", {"problems": _problems(form), "carry": {}}, status=400)
    data = {key: form.cleaned_data[key] or "" for key in CARRIED}
    data["app"] = str(data["app"]) if data["app"] else ""
    name = form.cleaned_data["step"]
    title, needs = STEPS[name]
    app = None
    if data["app"]:
        app = get_object_or_404(App.objects.manageable_by(request.user), pk=data["app"])
        if app.is_public:  # no secret: PKCE instead (its verifier travels with the code)
            needs = tuple(need for need in needs if need != "client_secret")
    if "client_secret" in needs and form.cleaned_data["use_app_secret"] and not data["client_secret"]:
        if app is None:
            return page(request, "playground/step.html", {"problems": [MISSING["client_secret"]]}, status=400)
        data["client_secret"] = app_reveal_secret(
            actor=request.user, app=app, origin=Origin.from_request(request, AuditSource.PORTAL)
        )
        data["client_id"] = app.client_id
    problems = [MISSING[key] for key in needs if not data[key]]
    context = {"title": title, "step": name, "app": app}
    if problems:
        context.update(problems=problems, carry=data, next_steps=_steps_available(data))
        context["needs_secret"] = "client_secret" in needs and not data["client_secret"]
        return page(request, "playground/step.html", context, status=400)

    exchange = perform(request, build_call(name, data))
    carry = dict(data)
    body = exchange.body
    if name in {"token", "refresh", "client_credentials"} and exchange.status == 200:
        carry["access_token"] = body.get("access_token", "")
        carry["refresh_token"] = body.get("refresh_token", "")
        carry["code"] = ""  # single use
    elif name == "token":
        carry["code"] = ""  # refused codes are no better a second time
    context.update(
        exchange=exchange,
        carry=carry,
        next_steps=_steps_available(carry),
        account=body.get("username") if name in {"me", "me_query"} and exchange.status == 200 else None,
        active=body.get("active") if name == "introspect" else None,
    )
    return page(request, "playground/step.html", context)


def _problems(form: forms.Form) -> list[str]:
    return [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]


# --- RFC 7591 registration (design §6.1), beside register.php ---------------------------------

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")


class Rfc7591Form(forms.Form):
    """The client metadata the playground sends to /oauth/register, and the initial access
    token (pasted; none: open registration, when the operator turned it on)."""

    client_name = forms.CharField(max_length=255)
    redirect_uri = forms.CharField(max_length=2000)
    token_endpoint_auth_method = forms.ChoiceField(choices=[(method, method) for method in AUTH_METHODS])
    scope = forms.ChoiceField(choices=Api.choices)
    initial_access_token = forms.CharField(required=False, max_length=255, strip=True)


@sensitive_post_parameters("initial_access_token")
@require_POST
def register_rfc7591(request: HttpRequest) -> HttpResponse:
    """Send the RFC 7591 registration request an App would send, in this process, and show it;
    then the new App's playground page when the signed-in account manages it."""
    form = Rfc7591Form(request.POST)
    title = "Register with RFC 7591 at /oauth/register"
    if not form.is_valid():
        context = {"title": title, "problems": _problems(form), "carry": {}}
        return page(request, "playground/step.html", context, status=400)
    data = form.cleaned_data
    metadata = {
        "client_name": data["client_name"],
        "redirect_uris": [data["redirect_uri"]],
        "token_endpoint_auth_method": data["token_endpoint_auth_method"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": data["scope"],
    }
    headers = {"Accept": "application/json"}
    if data["initial_access_token"]:
        headers["Authorization"] = f"Bearer {data['initial_access_token']}"
    call = Call("POST", reverse("oauth:register_client_create"), headers=headers, json=metadata)
    exchange = perform(request, call)
    app = None
    if exchange.status == 201 and exchange.body.get("client_id"):
        app = App.objects.manageable_by(request.user).filter(client_id=exchange.body["client_id"]).first()
    context = {"title": title, "exchange": exchange, "app": app, "carry": {}}
    return page(request, "playground/step.html", context)
