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

What the requests are made of, and the properties: shared by the fuzz tests of this folder.
"""

import os
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from apps_registry.models import App, AuditEvent

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
