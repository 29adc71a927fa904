"""The OAuth server's endpoints, declared once: oauth/urls.py mounts them in this order (the
ones programs call on every API request first, so they are resolved before any page's pattern
is tried), and config/settings.py (CORS: config/oauth_settings.py) derives from them how the
middleware treats each path.

- A **program** endpoint is called by a program, with its own credentials (an App's key and
  secret, a token, a registration access token) or none (discovery). It answers JSON, draws no
  page, and reads no session: at a fixed path it skips the session, the signed-in user,
  messages and htmx altogether (settings.API_PATHS, portal/speedups/page_middleware.py).
- A **browser** endpoint is a page a user's browser opens (the consent pages): refused over
  plain HTTP, it gets an HTML page rather than JSON (oauth/middleware.py).
- An endpoint with `tls` lies in a tree (its first path segment: oauth/, uapi/, unifiedapi/)
  where plain HTTP is refused with 403 and never redirected, since by then a secret or a token
  has crossed the network (settings.TLS_REQUIRED_PATHS and SECURE_REDIRECT_EXEMPT; design §7).
- An endpoint with `cors` answers browser-based clients on any origin (django-cors-headers,
  settings.CORS_URLS_REGEX, built here as CORS_PATHS): discovery, registration, the token and
  revocation endpoints, "who am I". Never with credentials: no cookie is read there. Pages
  (the consent pages, which the browser navigates to) and introspection (a resource server's
  call, from a server) have none.

No model import: the settings read this module before Django is set up.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from apps_registry.apis import API_KINDS

Caller = Literal["program", "browser"]


class Endpoint(NamedTuple):
    route: str  # Django's route syntax, from the site's root
    view: str  # the view's name in oauth.views
    name: str | None  # the URL name in the "oauth" namespace
    caller: Caller
    tls: bool = True
    cors: bool = False

    @property
    def path(self) -> str | None:
        """The request path, for a route without converters (None for one with)."""
        return None if "<" in self.route else f"/{self.route}"

    @property
    def tree(self) -> str:
        """The first segment of the path, as a prefix: "/oauth/", "/uapi/"."""
        return f"/{self.route.split('/', 1)[0]}/"


ENDPOINTS: tuple[Endpoint, ...] = (
    # The API endpoints first: they are resolved on every API request (make bench). Each API
    # the portal answers has its "who am I" (apps_registry/apis.py: /uapi/@me, /unifiedapi/@me).
    *(Endpoint(path, "me", name, "program", cors=True) for kind in API_KINDS for path, name in kind.me_paths),
    Endpoint("oauth/token.php", "token", "token", "program", cors=True),
    Endpoint("oauth/revoke", "revoke", "revoke", "program", cors=True),
    Endpoint("oauth/revoke.php", "revoke", None, "program", cors=True),
    Endpoint("oauth/introspect", "introspect", "introspect", "program"),
    Endpoint("oauth/introspect.php", "introspect", None, "program"),
    Endpoint("oauth/register.php", "register", "register", "browser"),
    Endpoint("oauth/register/consent/", "register_consent", "register_consent", "browser"),
    Endpoint("oauth/register/resume/", "register_resume", "register_resume", "browser"),
    # RFC 7591 registration and its RFC 7592 client configuration endpoint (JSON APIs).
    Endpoint("oauth/register", "register_client", "register_client_create", "program", cors=True),
    Endpoint(
        "oauth/register/<str:client_id>", "client_configuration", "register_client", "program", cors=True
    ),
    Endpoint("oauth/authorize.php", "authorize", "authorize", "browser"),
    Endpoint("oauth/authorize/resume/", "authorize_resume", "authorize_resume", "browser"),
    # Discovery (RFC 8414 §3, RFC 9728 §3): the issuer has no path, so no path is inserted.
    # Public documents, served over whatever the deployment serves (redirected to https).
    Endpoint(
        ".well-known/oauth-authorization-server",
        "authorization_server_metadata_view",
        "authorization_server_metadata",
        "program",
        tls=False,
        cors=True,
    ),
    Endpoint(
        ".well-known/oauth-protected-resource/<slug:resource>",
        "protected_resource_metadata_view",
        "protected_resource_metadata",
        "program",
        tls=False,
        cors=True,
    ),
)

# The fixed paths of program endpoints: what skips the page-only middleware.
PROGRAM_PATHS = frozenset(e.path for e in ENDPOINTS if e.caller == "program" and e.path)
# The fixed paths of browser endpoints: an HTML refusal over plain HTTP.
BROWSER_PATHS = frozenset(e.path for e in ENDPOINTS if e.caller == "browser" and e.path)
# The trees where plain HTTP is refused, never redirected.
TLS_TREES = tuple(sorted({e.tree for e in ENDPOINTS if e.tls}))


def _pattern(route: str) -> str:
    """A route as a regular expression of the path: each converter one path segment."""
    return "".join(
        "[^/]+" if part.startswith("<") else re.escape(part) for part in re.split(r"(<[^>]+>)", route) if part
    )


# The paths answered to browser-based clients of any origin (django-cors-headers' CORS_URLS_REGEX).
CORS_PATHS = "^/(?:" + "|".join(_pattern(e.route) for e in ENDPOINTS if e.cors) + ")$"
# Every program endpoint's path, converters included: a server fault there is answered as JSON
# (oauth.views.server_error), never the HTML page a browser gets.
PROGRAM_PATTERN = re.compile(
    "^/(?:" + "|".join(_pattern(e.route) for e in ENDPOINTS if e.caller == "program") + ")$"
)
# The APIs' "who am I", which answer in the APIs' error shape rather than OAuth's.
ME_PATHS = frozenset(e.path for e in ENDPOINTS if e.view == "me")
