"""The App (design §3): the swapped django-oauth-toolkit Application, owned by one account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from oauth2_provider.models import AbstractApplication, ApplicationManager

from accounts.models import Account
from accounts.validators import validate_phone, validate_single_line, validate_text

from ..apis import Api
from ..crypto import encrypted_secret_matches, generate_credential
from ..redirect_uris import (
    allowed_schemes,
    redirect_uri_allowed,
    validate_client_redirect_uri,
    validate_extra_redirect_uris,
    validate_http_url,
    validate_redirect_uri,
)

if TYPE_CHECKING:
    from .app_secret import AppSecret


class AppQuerySet(models.QuerySet):
    def manageable_by(self, actor) -> AppQuerySet:
        """Apps owned by the actor's account or by any account below it."""
        return self.filter(owner__in=Account.objects.manageable_by(actor).values("pk"))

    def for_api(self, api: str) -> AppQuerySet:
        return self.filter(api=api)


class AppManager(ApplicationManager.from_queryset(AppQuerySet)):
    pass


class App(AbstractApplication):
    """A third-party client of SystemAPI or UnifiedAPI, owned by one account.

    Its secrets are AppSecret rows (two while it rotates), stored only encrypted;
    `client_secret` is the newest one in clear, which is what django-oauth-toolkit reads.
    `redirect_uris` likewise is the single `redirect_uri` under the name django-oauth-toolkit
    expects.
    """

    # django-oauth-toolkit's `user` is `owner` here; its `client_secret` and `redirect_uris`
    # fields are replaced by the properties of the same names below.
    user = None

    client_id = models.CharField(
        "App ID/key", max_length=255, unique=True, default=generate_credential, editable=False
    )
    owner = models.ForeignKey(
        Account, verbose_name="owner account", on_delete=models.CASCADE, related_name="apps"
    )
    api = models.CharField("API", max_length=10, choices=Api.choices)
    name = models.CharField(
        "name",
        max_length=255,
        validators=[validate_single_line],
        help_text='A descriptive name, e.g. "Google Apps".',
    )
    description = models.TextField(
        "description", blank=True, validators=[MaxLengthValidator(1000), validate_text]
    )
    homepage = models.CharField(
        "homepage",
        max_length=2000,
        validators=[validate_http_url],
        help_text="Shown to users when they authorize the App.",
    )
    image_uri = models.CharField("image URL", max_length=2000, blank=True, validators=[validate_http_url])
    email = models.EmailField("admin e-mail")
    # When whoever reads `email` confirmed it, by the link mailed to it (services/contacts.py):
    # only then do the App's notices go there (design §3). Cleared whenever `email` changes.
    # Never set for an App that registered itself: its registrant may replace the address at any
    # time (RFC 7592, its metadata document), so it is never mailed.
    email_confirmed = models.DateTimeField("admin e-mail confirmed", null=True, blank=True, editable=False)
    phone = models.CharField("admin phone", max_length=32, blank=True, validators=[validate_phone])
    trusted = models.BooleanField(
        "App is trusted",
        default=False,
        help_text="A trusted App may get an access token with its key and secret alone (client_credentials).",
    )
    resource_server = models.BooleanField(
        "App is a resource server",
        default=False,
        help_text="Set by an Administrator only: the App may introspect the tokens of every App "
        "owned within its owner's Administrator's tree, not only its own.",
    )
    redirect_uri = models.CharField("redirect URL", max_length=2000, validators=[validate_redirect_uri])
    # RFC 7591 redirect_uris beyond the first (which is `redirect_uri`): each matched exactly.
    extra_redirect_uris = models.JSONField(
        "more redirect URLs",
        default=list,
        blank=True,
        help_text="Registered through RFC 7591; each is allowed exactly as the redirect URL is.",
    )
    # An App registered through open registration (RFC 7591, no initial access token) that gets
    # no token before this time is removed (oauth.housekeeping.purge_expired); its first token
    # clears it (oauth.validator), so an App in use never expires. Empty for every other App.
    unused_expires = models.DateTimeField("removed unless used by", null=True, blank=True, editable=False)
    # Nobody vouches for who made it: it registered itself through open registration, or it is a
    # Client ID Metadata Document. Its consent page says so; it is never trusted nor a resource
    # server, and it must use PKCE (S256) whatever its client type (design §6.1).
    unverified = models.BooleanField("unverified developer", default=False, editable=False)
    # A Client ID Metadata Document's App (registration_source "cimd"; its client_id is the
    # document's URL): when the document was last fetched. django-oauth-toolkit's
    # `cimd_expires_at` is when it is fetched again (oauth/client_metadata.py).
    metadata_fetched = models.DateTimeField(
        "metadata document fetched", null=True, blank=True, editable=False
    )
    enabled = models.BooleanField(
        "enabled", default=True, help_text="A disabled App gets no token and its tokens are refused."
    )
    # When one of its secrets last authenticated a client (at most a minute old: see
    # AppSecret.last_used).
    last_used = models.DateTimeField("last used", null=True, blank=True, editable=False)
    client_type = models.CharField(
        max_length=32,
        choices=AbstractApplication.CLIENT_TYPES,
        default=AbstractApplication.CLIENT_CONFIDENTIAL,
    )
    authorization_grant_type = models.CharField(
        max_length=44,
        choices=AbstractApplication.GRANT_TYPES,
        default=AbstractApplication.GRANT_AUTHORIZATION_CODE,
    )
    hash_client_secret = models.BooleanField(default=False)

    objects = AppManager()

    class Meta:
        verbose_name = "App"
        verbose_name_plural = "Apps"
        ordering = ["-created"]
        indexes = [
            # A tab's Apps in the changelist's default order, the key too: a page's ids read
            # from the index alone (selectors/changelist.py, _rows_query).
            models.Index(fields=["owner", "api", "name", "id"], name="app_owner_api_name_id"),
            # Every column the changelist's facet counts read, in their grouping order
            # (selectors/facets.py, _groups_query): counted from the index alone.
            models.Index(fields=["owner", "api", "trusted", "enabled", "created"], name="app_owner_facets"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(api__in=Api.values), name="app_api_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def live_secrets(self) -> list[AppSecret]:
        """The App's secrets that authenticate, oldest first (one query, then kept; the token
        endpoint loads them with the App: oauth.validator)."""
        if self._live_secrets is None:
            self._live_secrets = list(self.secrets.live().order_by("created", "pk"))
        return self._live_secrets

    @live_secrets.setter
    def live_secrets(self, value: list[AppSecret]) -> None:
        self._live_secrets = value

    _live_secrets: list[AppSecret] | None = None

    @property
    def client_secret(self) -> str:
        """The App's newest secret in clear ("" for an App without one)."""
        newest = self.live_secrets[-1] if self.live_secrets else None
        return newest.secret if newest else ""

    def matching_secret(self, provided: str) -> AppSecret | None:
        """The live secret `provided` is, compared in constant time with each of them."""
        found = None
        for secret in self.live_secrets:
            if encrypted_secret_matches(provided, secret.encrypted_secret) and found is None:
                found = secret
        return found

    @property
    def redirect_uris(self) -> str:
        return " ".join(self.all_redirect_uris)

    @property
    def all_redirect_uris(self) -> list[str]:
        """The primary redirect URL, then the others registered through RFC 7591."""
        return [self.redirect_uri, *(self.extra_redirect_uris or [])]

    @property
    def is_public(self) -> bool:
        """A public client (RFC 6749 2.1): no secret, PKCE S256 at authorize and token."""
        return self.client_type == AbstractApplication.CLIENT_PUBLIC

    @property
    def is_metadata_document(self) -> bool:
        """A Client ID Metadata Document's App: its client_id is the document's https URL."""
        return self.registration_source == AbstractApplication.RegistrationSource.CIMD

    @property
    def client_rule(self) -> bool:
        """Whether its redirect URLs follow a client's own rule (redirect_uris.py): an App that
        registered itself (RFC 7591) or a metadata document's, rather than one a person made."""
        return self.registration_source in (
            AbstractApplication.RegistrationSource.DCR,
            AbstractApplication.RegistrationSource.CIMD,
        )

    @property
    def requires_pkce(self) -> bool:
        """PKCE S256 at authorize.php and the token endpoint: a public client proves nothing
        else, and nobody vouches for an unverified one (design §6.1)."""
        return self.is_public or self.unverified

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._live_secrets = None  # read again when asked

    def get_absolute_url(self) -> str:
        return reverse("apps_registry:edit", args=[self.pk])

    def clean_fields(self, exclude=None) -> None:
        """The field validators; the redirect URL of an App that registered itself follows a
        client's own rule (redirect_uris.validate_client_redirect_uri) instead of the portal's."""
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        if self.client_rule and not self.homepage:
            exclude.add("homepage")  # a native App that sent no client_uri (oauth/registration.py)
        if self.client_rule and "redirect_uri" not in exclude:
            exclude.add("redirect_uri")
            field = self._meta.get_field("redirect_uri")
            checks = [*(v for v in field.validators if v is not validate_redirect_uri)]
            try:
                if not self.redirect_uri:
                    raise ValidationError(field.error_messages["blank"], code="blank")
                for check in checks:
                    check(self.redirect_uri)
                validate_client_redirect_uri(self.redirect_uri, public=self.is_public)
            except ValidationError as error:
                errors["redirect_uri"] = error.error_list
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            for field, messages in error.error_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        """The redirect URLs beyond the first (redirect_uris.validate_extra_redirect_uris).
        django-oauth-toolkit's own checks (schemes from its settings, OIDC) do not apply to Apps."""
        validate_extra_redirect_uris(
            self.extra_redirect_uris,
            primary=self.redirect_uri,
            public=self.is_public,
            client_rule=self.client_rule,
        )

    def get_allowed_schemes(self) -> list[str]:
        """django-oauth-toolkit's redirect schemes (redirect_uris.allowed_schemes)."""
        return allowed_schemes(self.all_redirect_uris, public=self.is_public, client_rule=self.client_rule)

    def redirect_uri_allowed(self, uri: str) -> bool:
        """authorize.php: whether a code may go to `uri` (redirect_uris.redirect_uri_allowed)."""
        return redirect_uri_allowed(
            uri, self.all_redirect_uris, public=self.is_public, client_rule=self.client_rule
        )

    def check_secret(self, provided: str) -> bool:
        """Constant-time comparison with each live secret: microseconds, not a password hash."""
        return self.matching_secret(provided) is not None

    def allows_grant_type(self, *grant_types: str) -> bool:
        """Every App may use the authorization code flow; only trusted Apps client_credentials."""
        allowed = {AbstractApplication.GRANT_AUTHORIZATION_CODE}
        if self.trusted:
            allowed.add(AbstractApplication.GRANT_CLIENT_CREDENTIALS)
        return bool(allowed.intersection(grant_types))

    def is_usable(self, request) -> bool:
        """A disabled App gets no token (django-oauth-toolkit asks this on every token request)."""
        return self.enabled
