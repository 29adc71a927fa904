"""The APIs an App is for (design §2, §6), each declared once (API_KINDS) with the rules that
follow from it:

- its value (stored on the App, and the scope of the App's tokens) and its label;
- which kinds of account own none of its Apps (design §2: a Service Provider owns no
  UnifiedAPI App), and the code of that refusal;
- the path segments that name it as a resource: RFC 8707 identifiers `{issuer}/{segment}`
  and RFC 9728 metadata at `/.well-known/oauth-protected-resource/{segment}`;
- the "who am I" endpoints the portal serves for it (`me_paths`: path and URL name), and so
  the path prefixes under which the portal answers it as an API (`path_prefixes`); none for
  an API served elsewhere (SystemAPI is VoipNow's own);
- whether a registration that names no API gets it (register.php's `api`, RFC 7591's `scope`).

Everything else derives from it: the Api choices (the App's `api` field, the forms, the
command line), discovery's resources and scopes, /uapi/@me, the ownership rule
(services.check_api_allowed) and its words on the pages, the API paths the endpoint
declaration builds the URLconf and the middleware settings from. Adding an API is one ApiKind
here, and a migration for the App's choices and check constraint.

Plain declarations, importable without the app registry (the settings read them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from accounts.kinds import Kind, kinds_below


@dataclass(frozen=True)
class ApiKind:
    """One API, with its rules."""

    value: str
    label: str
    resources: tuple[str, ...]  # the path segments that name it as a resource
    me_paths: tuple[tuple[str, str], ...] = ()  # (path, URL name) of each "who am I" it serves here
    not_owned_by: tuple[str, ...] = ()  # the kinds of account that own none of its Apps
    refusal_code: str = ""  # the code of that refusal (default: "<value>_not_allowed")
    registration_default: bool = False  # the API of a registration that names none

    def may_be_owned_by(self, owner) -> bool:
        """design §2: whether `owner` (an account, or anything with its `kind`) may own Apps of it."""
        return owner.kind not in self.not_owned_by

    @property
    def path_prefixes(self) -> tuple[str, ...]:
        """The path prefixes under which the portal answers this API ("/uapi/"): API paths,
        which programs call, never pages."""
        return tuple(dict.fromkeys(f"/{path.split('/')[0]}/" for path, _name in self.me_paths))

    @property
    def not_allowed_code(self) -> str:
        return self.refusal_code or f"{self.value}_not_allowed"

    @property
    def owners_below(self) -> list[str]:
        """The labels of the kinds of account that may own its Apps below a kind that may not
        ("Organization", "User" below a Service Provider), for the pages that say so."""
        below = [kind for refused in self.not_owned_by for kind in kinds_below(refused)]
        return [Kind(kind).label for kind in Kind.values if kind in below and kind not in self.not_owned_by]


API_KINDS: tuple[ApiKind, ...] = (
    # Served by VoipNow itself, not by the portal: its identifier names the API whose tokens
    # the portal issues.
    ApiKind("systemapi", "SystemAPI", resources=("systemapi",)),
    # Answered at /uapi and at its alias /unifiedapi; each is its own resource identifier
    # (RFC 9728 §3.3: `resource` is the URL the client derived the metadata URL from), and a
    # token for either is good at both.
    ApiKind(
        "unifiedapi",
        "UnifiedAPI",
        resources=("uapi", "unifiedapi"),
        me_paths=(("uapi/@me", "me"), ("unifiedapi/@me", "unifiedapi_me")),
        not_owned_by=(Kind.SERVICE_PROVIDER,),
        refusal_code="unified_api_not_allowed",
        registration_default=True,
    ),
)

# The App's `api` choices (Api.SYSTEMAPI, Api.UNIFIEDAPI...), one member per API kind.
Api = models.TextChoices(
    "Api", [(kind.value.upper(), (kind.value, kind.label)) for kind in API_KINDS], module=__name__
)
_BY_VALUE = {kind.value: kind for kind in API_KINDS}
# The API of a register.php or RFC 7591 request that names none.
REGISTRATION_DEFAULT = next(kind.value for kind in API_KINDS if kind.registration_default)


def api_kind(value: str) -> ApiKind:
    """The API kind of a value of Api (KeyError for anything else)."""
    return _BY_VALUE[value]


def api_served_at(path: str) -> ApiKind | None:
    """The API the portal answers at `path` (a request's path, "/uapi/@me"), if any."""
    return next((kind for kind in API_KINDS if path.startswith(kind.path_prefixes)), None)


def api_to_try(owner) -> str:
    """The API of an App made to try the flow (the playground): the first whose "who am I"
    the portal serves that `owner` may own, else the first it may own."""
    allowed = [kind for kind in API_KINDS if kind.may_be_owned_by(owner)]
    return next((kind.value for kind in allowed if kind.me_paths), allowed[0].value)
