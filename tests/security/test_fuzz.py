"""Hypothesis-generated requests to /oauth/register.php (and its consent), /oauth/token.php,
/oauth/authorize.php and the Add App form: huge values, control characters, invalid UTF-8
and percent-encoding, duplicated and missing parameters, wrong methods and content types.

Properties, for every request:
- never a 5xx (the test client re-raises an exception from a view, which fails the test too);
- no App and no audit row appears unless a complete, valid registration happened, and then
  exactly one, whose every field passes the model's checks;
- a Location header only to a redirect URL that was checked: the App's registered one
  (authorize.php), the one in the signed consent request (register.php), or a path of the
  portal itself (the Add App form, the login page).

Each example runs in a transaction rolled back at its end, so examples do not see each
other's writes. FUZZ_EXAMPLES raises the number of examples per test (default 60).
"""

import base64
import os
from contextlib import contextmanager
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apps_registry.models import AccessToken, Api, App, AuditEvent
from tests.factories import AppFactory
from tests.helpers import add_url, form_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

REGISTER = "/oauth/register.php"
CONSENT = "/oauth/register/consent/"
AUTHORIZE = "/oauth/authorize.php"
TOKEN = "/oauth/token.php"
REGISTERED = "https://app.example/cb"

# --- what the requests are made of -----------------------------------------------------------

NASTY_PIECES = [
    b"",
    b"%",
    b"%z",
    b"%zz",
    b"%ff%fe",
    b"%00",
    b"%0d%0a",
    b"%C0%AE%C0%AE",
    b"%25",
    b"\xff\xfe\xfd",
    b"\xc3\x28",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\x00",
    b"\r\n",
    b"&&&",
    b"===",
    b"+",
    b"x" * 70_000,
    b"javascript:alert(1)",
    b"https://evil.example/cb",
    b"https://app.example/cb#x",
    b"https://app.example/cb\r\nLocation: https://evil.example/",
]


def text_values(max_size: int = 200):
    """Any Unicode (control characters included), huge strings, and look-alikes of real values."""
    return st.one_of(
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
        st.sampled_from(["", " ", "x" * 5000, "\x00", "\u202e", "\ufeff", "\U0001d54f" * 300]),
        st.sampled_from([piece.decode("latin-1") for piece in NASTY_PIECES]),
    )


raw_pieces = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(NASTY_PIECES),
    st.text(max_size=40).map(lambda value: quote(value, safe="").encode()),
)


@st.composite
def raw_query(draw, names: list[str]) -> bytes:
    """A query string or form body as bytes: known and unknown names, duplicates, raw bytes."""
    pairs = draw(
        st.lists(
            st.tuples(st.one_of(st.sampled_from(names).map(str.encode), raw_pieces), st.one_of(raw_pieces)),
            max_size=12,
        )
    )
    joiner = draw(st.sampled_from([b"&", b";", b"&&"]))
    return joiner.join(name + (b"" if value is None else b"=" + value) for name, value in pairs)


def mutated(base: dict[str, str], names: list[str]):
    """`base` with some parameters dropped, replaced by fuzz, duplicated, or added."""

    @st.composite
    def build(draw) -> list[tuple[str, str]]:
        pairs = []
        for key, value in base.items():
            choice = draw(st.sampled_from(["keep", "keep", "keep", "drop", "fuzz", "twice"]))
            if choice == "keep":
                pairs.append((key, value))
            elif choice == "fuzz":
                pairs.append((key, draw(text_values())))
            elif choice == "twice":
                pairs += [(key, value), (key, draw(text_values()))]
        extra = draw(
            st.lists(st.tuples(st.sampled_from(names) | st.text(max_size=10), text_values()), max_size=3)
        )
        return pairs + extra

    return build()


CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=nonsense",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "application/json",
    "text/plain",
    "",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


@st.composite
def raw_request(draw, names: list[str]) -> dict:
    """Keyword arguments for Client.generic: any method, a raw query string, a raw body."""
    return {
        "method": draw(st.sampled_from(METHODS)),
        "data": draw(raw_query(names)),
        "content_type": draw(st.sampled_from(CONTENT_TYPES)),
        "QUERY_STRING": draw(raw_query(names)).decode("latin-1"),
    }


# --- the properties --------------------------------------------------------------------------


@contextmanager
def rolled_back():
    """One example's writes, undone at its end."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def counts() -> tuple[int, int]:
    return App.objects.count(), AuditEvent.objects.count()


def assert_sound(response) -> None:
    assert response.status_code < 500, response.content[:500]


def assert_no_redirect_outside_the_portal(response) -> None:
    location = response.get("Location", "")
    if location:
        parts = urlsplit(location)
        assert not parts.scheme and not parts.netloc and location.startswith("/"), location


def assert_redirects_only_to(response, redirect_uri: str) -> None:
    """A Location, if any, is the checked redirect URL with parameters added to its query."""
    location = response.get("Location")
    if location is None:
        return
    expected = urlsplit(redirect_uri)
    got = urlsplit(location)
    assert (got.scheme, got.netloc, got.path, got.fragment) == (*expected[:3], ""), location
    assert "\r" not in location and "\n" not in location


def send(client, request: dict, path: str):
    method = request["method"]
    return client.generic(
        method,
        path,
        data=request["data"] if method not in {"GET", "HEAD"} else b"",
        content_type=request["content_type"],
        QUERY_STRING=request["QUERY_STRING"],
    )


# --- /oauth/register.php ---------------------------------------------------------------------

REGISTRATION = {
    "name": "Fuzzed App",
    "description": "An App",
    "homepage": "https://app.example/",
    "image_uri": "https://app.example/logo.png",
    "email": "dev@app.example",
    "phone": "+1 555 0100",
    "redirect_uri": REGISTERED,
    "api": "unifiedapi",
    "state": "s",
}
REGISTER_NAMES = list(REGISTRATION)


@FUZZ
@given(request=raw_request(REGISTER_NAMES), signed_in=st.booleans())
def test_register_php_raw_requests(client, demo, request, signed_in):
    with rolled_back():
        if signed_in:
            client.force_login(demo["organization"])
        before = counts()
        response = send(client, request, REGISTER)
        assert_sound(response)
        assert "Location" not in response  # register.php shows a page; it never redirects
        assert counts() == before


@FUZZ
@given(params=mutated(REGISTRATION, REGISTER_NAMES), method=st.sampled_from(["get", "post"]))
def test_register_php_mutated_parameters(client, demo, params, method):
    with rolled_back():
        client.force_login(demo["organization"])
        before = counts()
        if method == "get":
            response = client.get(f"{REGISTER}?{urlencode(params)}")
        else:
            response = client.post(REGISTER, urlencode(params), "application/x-www-form-urlencoded")
        assert_sound(response)
        assert "Location" not in response
        assert counts() == before
        event(f"register.php {response.status_code}")
        if response.status_code == 200:
            # A consent page is shown only for a redirect URL that passed the checks.
            redirect_uri = response.context["app"]["redirect_uri"]
            App(redirect_uri=redirect_uri).clean_fields(
                exclude=[f.name for f in App._meta.fields if f.name != "redirect_uri"]
            )


@pytest.fixture
def consent_blob(client, demo) -> str:
    page = client.get(REGISTER, REGISTRATION)
    assert page.status_code == 200
    return page.context["blob"]


@FUZZ
@given(
    # Mostly well-formed ("FUZZ" stands for generated junk), so that many examples get as far
    # as creating the App.
    action=st.sampled_from(["register"] * 4 + ["deny", "switch", "", "REGISTER", "FUZZ"]),
    blob_kind=st.sampled_from(["valid"] * 6 + ["truncated", "flipped", "fuzz", "missing"]),
    fuzz=text_values(),
    grant_access=st.sampled_from(["on", "on", "", "off", "FUZZ"]),
    credentials=st.sampled_from([None, ("organization", "demo"), ("organization", "wrong"), "FUZZ"]),
    junk=st.tuples(text_values(50), text_values(50)),
    signed_in=st.booleans(),
)
def test_register_consent_posts(
    client, demo, consent_blob, action, blob_kind, fuzz, grant_access, credentials, junk, signed_in
):
    action = junk[0] if action == "FUZZ" else action
    grant_access = junk[1] if grant_access == "FUZZ" else grant_access
    credentials = junk if credentials == "FUZZ" else credentials
    blob = {
        "valid": consent_blob,
        "truncated": consent_blob[: len(consent_blob) // 2],
        "flipped": consent_blob[:-1] + ("A" if consent_blob[-1] != "A" else "B"),
        "fuzz": fuzz,
        "missing": None,
    }[blob_kind]
    data = {"action": action, "grant_access": grant_access}
    if blob is not None:
        data["request"] = blob
    if credentials is not None:
        data["username"], data["password"] = credentials
    with rolled_back():
        client.logout()
        if signed_in:
            client.force_login(demo["organization"])
        apps, events = counts()
        response = client.post(CONSENT, urlencode(data), "application/x-www-form-urlencoded")
        assert_sound(response)
        assert_redirects_only_to(response, REGISTERED)
        created = App.objects.count() - apps
        event(f"{response.status_code}, {created} App created")  # --hypothesis-show-statistics
        if created:
            # Only a complete registration: a valid signed request, Register, an account.
            assert created == 1 and blob_kind == "valid" and action == "register"
            assert response.status_code == 302 and "client_secret=" in response["Location"]
            App.objects.get().full_clean()
            assert AuditEvent.objects.count() == events + 1
        else:
            assert AuditEvent.objects.count() == events


# --- /oauth/authorize.php --------------------------------------------------------------------


@pytest.fixture
def app(demo):
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri=REGISTERED)


AUTHORIZE_NAMES = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "request",
    "action",
    "username",
    "password",
]


@FUZZ
@given(request=raw_request(AUTHORIZE_NAMES), signed_in=st.booleans())
def test_authorize_php_raw_requests(client, demo, app, request, signed_in):
    with rolled_back():
        if signed_in:
            client.force_login(demo["user"])
        response = send(client, request, AUTHORIZE)
        assert_sound(response)
        assert_redirects_only_to(response, REGISTERED)


@FUZZ
@given(
    params=mutated(
        {
            "response_type": "code",
            "client_id": "APP",
            "redirect_uri": REGISTERED,
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
        AUTHORIZE_NAMES,
    ),
    response_type=st.sampled_from(["code"] * 5 + ["token", "id_token", "code token", "", "CODE"]),
    redirect_uri=st.sampled_from([REGISTERED] * 4 + [f"{REGISTERED}/", "https://evil.example/cb", ""]),
    decide=st.sampled_from([None, "allow", "deny", "switch"]) | text_values(10),
)
def test_authorize_php_mutated_parameters_then_the_consent(
    client, demo, app, params, response_type, redirect_uri, decide
):
    params = [
        (key, app.client_id if value == "APP" else value)
        for key, value in params
        if key not in {"response_type", "redirect_uri"}
    ]
    params += [("response_type", response_type), ("redirect_uri", redirect_uri)]
    with rolled_back():
        client.force_login(demo["user"])
        response = client.get(f"{AUTHORIZE}?{urlencode(params)}")
        assert_sound(response)
        assert_redirects_only_to(response, REGISTERED)
        event(f"authorize.php {response.status_code}")
        if response.status_code == 200 and decide is not None:
            answer = client.post(AUTHORIZE, {"request": response.context["blob"], "action": decide})
            assert_sound(answer)
            assert_redirects_only_to(answer, REGISTERED)


# --- /oauth/token.php ------------------------------------------------------------------------

TOKEN_NAMES = [
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "refresh_token",
    "code_verifier",
    "scope",
    "state",
]

authorizations = st.one_of(
    st.none(),
    st.sampled_from(["Basic", "Basic ", "Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()]),
    st.binary(max_size=60).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    text_values(80).map(lambda value: "Basic " + value),
    text_values(80).map(lambda value: "Bearer " + value),
)


@FUZZ
@given(request=raw_request(TOKEN_NAMES), authorization=authorizations)
def test_token_php_raw_requests(client, app, request, authorization):
    extra = {"HTTP_AUTHORIZATION": authorization.encode().decode("latin-1")} if authorization else {}
    with rolled_back():
        response = client.generic(
            request["method"],
            TOKEN,
            data=request["data"],
            content_type=request["content_type"],
            QUERY_STRING=request["QUERY_STRING"],
            **extra,
        )
        assert_sound(response)
        assert "Location" not in response


@FUZZ
@given(
    params=mutated(
        {"grant_type": "client_credentials", "client_id": "APP", "client_secret": "SECRET", "state": "0"},
        TOKEN_NAMES,
    ),
    grant_type=st.sampled_from(
        ["client_credentials", "authorization_code", "refresh_token", "password", "implicit", ""]
    ),
    content_type=st.sampled_from(CONTENT_TYPES[:3]),
)
def test_token_php_mutated_parameters(client, demo, params, grant_type, content_type):
    trusted = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    values = {"APP": trusted.client_id, "SECRET": trusted.client_secret}
    params = [(key, values.get(value, value)) for key, value in params if key != "grant_type"]
    params.append(("grant_type", grant_type))
    with rolled_back():
        # generic(), not post(): post() would re-encode the body in the declared charset.
        response = client.generic("POST", TOKEN, urlencode(params).encode(), content_type)
        assert_sound(response)
        assert "Location" not in response
        assert response["Content-Type"] == "application/json"


# --- the Add App form ------------------------------------------------------------------------

ADD_NAMES = ["name", "description", "homepage", "image_uri", "email", "phone", "trusted", "redirect_uri"]


@pytest.fixture
def add_form(client, demo) -> dict:
    client.force_login(demo["organization"])
    return form_data(client.get(add_url(demo["organization"])))


@FUZZ
@given(params=st.data(), htmx=st.booleans())
def test_add_app_form_mutated_fields(client, demo, add_form, params, htmx):
    pairs = params.draw(mutated(add_form, [*ADD_NAMES, "credentials", "api", "owner"]))
    owner = demo["organization"]
    headers = {"HX-Request": "true"} if htmx else {}
    with rolled_back():
        client.force_login(owner)
        apps, events = counts()
        response = client.post(
            add_url(owner), urlencode(pairs), "application/x-www-form-urlencoded", headers=headers
        )
        assert_sound(response)
        assert_no_redirect_outside_the_portal(response)
        created = App.objects.count() - apps
        event(f"{response.status_code}, {created} App created")
        assert created in (0, 1)
        if created:
            assert response.status_code in (302, 204)
            App.objects.get(owner=owner).full_clean()
        assert AuditEvent.objects.count() == events + created


@FUZZ
@given(request=raw_request([*ADD_NAMES, "credentials"]), signed_in=st.booleans())
def test_add_app_form_raw_requests(client, demo, request, signed_in):
    owner = demo["organization"]
    with rolled_back():
        client.logout()
        if signed_in:
            client.force_login(owner)
        before = counts()
        response = send(client, request, add_url(owner).split("?")[0])
        assert_sound(response)
        assert_no_redirect_outside_the_portal(response)
        assert counts() == before  # no valid signed credentials: nothing can be created


@pytest.mark.parametrize("path", [TOKEN, "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded; charset=latin-1", "multipart/form-data; boundary="],
)
def test_an_unparsable_body_gets_the_endpoints_json_error_not_an_html_page(client, app, path, content_type):
    """Found by the fuzzer: Django refuses a form body that is not UTF-8 with its HTML 400."""
    body = f"grant_type=client_credentials&client_id={app.client_id}&token=\xe9".encode("latin-1")
    response = client.generic("POST", path, body, content_type)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", [AUTHORIZE, TOKEN, "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize("query", ["response_type=%\x00", "client_id=%zz", "state=\xff\xfe", "a=%"])
def test_a_malformed_query_string_is_an_error_not_a_500(client, app, path, query):
    """Found by the fuzzer: oauthlib raised ValueError on a stray "%" or non-UTF-8 bytes."""
    method = "GET" if path == AUTHORIZE else "POST"
    response = client.generic(method, path, b"", "application/x-www-form-urlencoded", QUERY_STRING=query)
    assert 400 <= response.status_code < 500
    assert "Location" not in response


@pytest.mark.parametrize("challenge", ["a\x00" * 22, "x" * 129, "x" * 42, "é" * 43, "a b" * 15])
def test_a_malformed_pkce_challenge_is_refused_before_the_consent_page(client, demo, app, challenge):
    """Found by the fuzzer: a NUL or over-long code_challenge reached the grant's INSERT
    (PostgreSQL refused it: a 500 after the user allowed). RFC 7636 4.2 says what it is."""
    client.force_login(demo["user"])
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REGISTERED,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = client.get(f"{AUTHORIZE}?{urlencode(query)}")
    assert response.status_code == 302
    assert_redirects_only_to(response, REGISTERED)
    assert "error=invalid_request" in response["Location"] and "state=s" in response["Location"]


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        (TOKEN, {"grant_type": "client_credentials", "client_id": "\x00", "client_secret": "x"}, 401),
        (TOKEN, {"grant_type": "authorization_code", "code": "\x00", "redirect_uri": REGISTERED}, 400),
        (TOKEN, {"grant_type": "refresh_token", "refresh_token": "\x00"}, 400),
        ("/oauth/revoke", {"token": "\x00"}, 200),  # RFC 7009: an unknown token is no error
        ("/oauth/introspect", {"token": "\x00"}, 200),  # {"active": false}
    ],
)
def test_a_nul_in_a_client_id_code_or_token_is_refused_not_a_500(client, app, path, data, status):
    """Found by the fuzzer on PostgreSQL, which refuses a NUL in a query parameter."""
    if "client_id" not in data:
        data = {**data, "client_id": app.client_id, "client_secret": app.client_secret}
    response = client.post(path, data)
    assert response.status_code == status
    assert not AccessToken.objects.exists()


def test_a_nul_in_the_client_id_on_authorize_php_is_an_error_page(client, demo, app):
    client.force_login(demo["user"])
    response = client.get(
        AUTHORIZE, {"response_type": "code", "client_id": "\x00", "redirect_uri": REGISTERED}
    )
    assert response.status_code == 400
    assert "Location" not in response


def test_a_nul_in_basic_credentials_is_invalid_client(client, app):
    credentials = base64.b64encode(b"\x00:\x00").decode()
    response = client.post(
        TOKEN, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(("page", "query"), [("list", {"q": "App\x00"}), ("audit", {"app": "\x00"})])
def test_a_nul_in_a_portal_search_is_harmless(client, demo, page, query):
    """Found while fuzzing: PostgreSQL refused the changelist search and the audit filter."""
    from django.urls import reverse

    owner = demo["organization"]
    AppFactory(owner=owner, name="App one")
    client.force_login(owner)
    response = client.get(reverse(f"apps_registry:{page}", args=[owner.pk]), query)
    assert response.status_code == 200
