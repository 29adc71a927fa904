"""Apps (design §3): the swapped django-oauth-toolkit Application, its tokens, and the audit trail."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractRefreshToken,
    ApplicationManager,
    check_redirect_to_uri_allowed,
)

from accounts.models import Account
from accounts.validators import validate_phone, validate_single_line, validate_text
from portal.audit import AuditSource  # shared with the accounts' trail; still importable from here

from .crypto import decrypt_secret, encrypt_secret, generate_credential, secret_matches

_http_url = URLValidator(schemes=["http", "https"], message="Enter an absolute http:// or https:// URL.")
_https_url = URLValidator(schemes=["https"], message="Enter an absolute https:// URL.")

# What the trigger of migration 0009 (0004 before it) says when it refuses a token: the
# secret its client authenticated with was removed, or the App disabled, since (AppSecret).
SECRET_CHANGED = "app_secret_changed"  # noqa: S105 - an error marker, not a secret
# How many secrets an App holds at once: two while it rotates, one otherwise (design §3).
MAX_SECRETS = 2
# What the triggers of migration 0005 say when a token's App owner, or its user, is inactive.
APP_OWNER_DISABLED = "app_owner_disabled"
ACCOUNT_DISABLED = "account_disabled"


def validate_http_url(value: str) -> None:
    """An absolute http(s) URL (Homepage, Image URL), with no control character in it."""
    validate_single_line(value)  # URLValidator lets a NUL through, which PostgreSQL refuses
    _http_url(value)


# Hosts a development portal may send a code to over plain HTTP (RFC 8252 loopback).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def redirect_uri_schemes(uri: str = "") -> list[str]:
    """The schemes a redirect URI may use: https; also http for a loopback host, and only
    while OAUTH_ALLOW_LOOPBACK_HTTP is on (development, the playground's own callback)."""
    if settings.OAUTH_ALLOW_LOOPBACK_HTTP and urlsplit(uri).hostname in LOOPBACK_HOSTS:
        return ["https", "http"]
    return ["https"]


# RFC 8252 7.3: a native App (a public client) receives its code on a loopback IP literal over
# plain http, on any port; never "localhost" (8.3), which a hosts file or DNS may redirect.
NATIVE_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
# How many redirect URLs one App may register (the first is its primary one).
MAX_REDIRECT_URIS = 10


def is_native_loopback(uri: str) -> bool:
    """An http URL on a loopback IP literal: where RFC 8252 7.3 lets a native App take its code."""
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in NATIVE_LOOPBACK_HOSTS
    except ValueError:
        return False


def validate_native_redirect_uri(value: str) -> None:
    """A public client's redirect URL: as validate_redirect_uri, and also http on a loopback IP
    literal with any port (RFC 8252 7.3), whatever OAUTH_ALLOW_LOOPBACK_HTTP says."""
    if not is_native_loopback(value):
        validate_redirect_uri(value)
        return
    validate_single_line(value)
    _http_url(value)
    parts = urlsplit(value)
    if "#" in value:
        raise ValidationError("The redirect URL must not contain a fragment (#...).", code="fragment")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("The redirect URL must not contain a user name or password.", code="userinfo")


def validate_redirect_uri(value: str) -> None:
    """An absolute https URL with no fragment, no user name or password and no control
    character in it (http only for a loopback host when OAUTH_ALLOW_LOOPBACK_HTTP is on)."""
    validate_single_line(value)  # URLValidator lets a NUL through, which PostgreSQL refuses
    try:
        loopback_http = "http" in redirect_uri_schemes(value)
    except ValueError:  # unparsable (e.g. a broken IPv6 literal): the URL validator says so
        loopback_http = False
    (_http_url if loopback_http else _https_url)(value)
    parts = urlsplit(value)
    if "#" in value:
        raise ValidationError("The redirect URL must not contain a fragment (#...).", code="fragment")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("The redirect URL must not contain a user name or password.", code="userinfo")


class Api(models.TextChoices):
    SYSTEMAPI = "systemapi", "SystemAPI"
    UNIFIEDAPI = "unifiedapi", "UnifiedAPI"


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
        indexes = [models.Index(fields=["owner", "api", "name"], name="app_owner_api_name")]
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
            if secret_matches(provided, secret.secret) and found is None:
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

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._live_secrets = None  # read again when asked

    def get_absolute_url(self) -> str:
        return reverse("apps_registry:edit", args=[self.pk])

    def clean_fields(self, exclude=None) -> None:
        """The field validators; a public client's redirect URLs may also be RFC 8252 loopback
        ones (validate_native_redirect_uri), which the field's own validator refuses."""
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        if self.is_public and "redirect_uri" not in exclude and is_native_loopback(self.redirect_uri or ""):
            exclude.add("redirect_uri")
            try:
                validate_native_redirect_uri(self.redirect_uri)
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
        """The redirect URLs beyond the first: a list of at most MAX_REDIRECT_URIS - 1 more,
        each valid as the first is, none repeated. django-oauth-toolkit's own checks (schemes
        from its settings, OIDC) do not apply to Apps."""
        extra = self.extra_redirect_uris
        if not isinstance(extra, list) or not all(isinstance(uri, str) for uri in extra):
            raise ValidationError({"extra_redirect_uris": ValidationError("A list of URLs.", code="invalid")})
        if len(extra) + 1 > MAX_REDIRECT_URIS:
            raise ValidationError(
                {
                    "extra_redirect_uris": ValidationError(
                        "At most %(max)d redirect URLs.", code="too_many", params={"max": MAX_REDIRECT_URIS}
                    )
                }
            )
        if len(set(self.all_redirect_uris)) != len(self.all_redirect_uris):
            raise ValidationError(
                {"extra_redirect_uris": ValidationError("A redirect URL is listed twice.", code="duplicate")}
            )
        validate = validate_native_redirect_uri if self.is_public else validate_redirect_uri
        for uri in extra:
            try:
                validate(uri)
            except ValidationError as error:
                raise ValidationError(
                    {"extra_redirect_uris": ValidationError(f"{uri}: {error.messages[0]}", code=error.code)}
                ) from None

    def get_allowed_schemes(self) -> list[str]:
        """django-oauth-toolkit's redirect schemes, from the same rule as the field validator."""
        if self.is_public and any(is_native_loopback(uri) for uri in self.all_redirect_uris):
            return ["https", "http"]
        return redirect_uri_schemes(self.redirect_uri)

    def redirect_uri_allowed(self, uri: str) -> bool:
        """authorize.php: RFC 9700 2.1, one of the registered URLs character for character
        (django-oauth-toolkit's own check lets the case of the scheme and the host differ), and
        only while its scheme is allowed (an http loopback URL registered in development is
        refused once the allowance is off; a public client's RFC 8252 loopback URL always is
        allowed). A loopback IP over http keeps its RFC 8252 7.3 allowance of any port."""
        native = self.is_public and is_native_loopback(uri)
        try:
            if not native and urlsplit(uri).scheme not in redirect_uri_schemes(uri):
                return False
        except ValueError:  # unparsable, e.g. a broken IPv6 literal
            return False
        for registered in self.all_redirect_uris:
            if (uri == registered or is_native_loopback(registered)) and check_redirect_to_uri_allowed(
                uri, [registered]
            )[0]:
                return True
        return False

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


class AppSecretQuerySet(models.QuerySet):
    def live(self) -> AppSecretQuerySet:
        return self.filter(removed__isnull=True)


class AppSecret(models.Model):
    """One secret of an App, stored only encrypted. An App holds one, or two while it rotates.

    Each token remembers the secret its client authenticated with (`secret` on the tokens).
    Removing a secret (or Regenerate, which removes every one) only marks it `removed` and
    forgets its ciphertext: from that moment its tokens are refused at every read (the
    tokens' default manager, /uapi/@me's query) and a database trigger refuses new ones
    (migration 0009); the rows go later, in bounded batches (`services.purge_removed_secrets`),
    and the secret's row with its last token.
    """

    app = models.ForeignKey(App, verbose_name="App", on_delete=models.CASCADE, related_name="secrets")
    encrypted_secret = models.TextField("encrypted secret", editable=False)
    created = models.DateTimeField("added", default=timezone.now, editable=False)
    # Empty for the secret every App had before rotation existed (migration 0009).
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="added by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_by_username = models.CharField("added by (username)", max_length=150, blank=True)
    # Written at most once a minute per secret, by the request that finds it older (never
    # once per token request): oauth.validator.
    last_used = models.DateTimeField("last used", null=True, blank=True, editable=False)
    removed = models.DateTimeField("removed", null=True, blank=True, editable=False)

    objects = AppSecretQuerySet.as_manager()

    class Meta:
        verbose_name = "App secret"
        verbose_name_plural = "App secrets"
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.masked} of {self.app_id}"

    @property
    def secret(self) -> str:
        """The secret in clear ("" once removed), decrypted once per instance."""
        if not self.encrypted_secret:
            return ""
        if self._clear is None or self._clear[0] != self.encrypted_secret:
            self._clear = (self.encrypted_secret, decrypt_secret(self.encrypted_secret))
        return self._clear[1]

    @secret.setter
    def secret(self, value: str) -> None:
        self.encrypted_secret = encrypt_secret(value)
        self._clear = (self.encrypted_secret, value)

    _clear: tuple[str, str] | None = None

    @property
    def masked(self) -> str:
        """The secret as the portal lists it: its last 4 characters only."""
        return f"…{self.secret[-4:]}" if self.encrypted_secret else "(removed)"

    @property
    def is_live(self) -> bool:
        return self.removed is None


def live_secret_q() -> Q:
    """A token whose secret still authenticates, or that has none (a public client's, or one
    made outside the token endpoint): the condition every read of a token applies."""
    return Q(secret__isnull=True) | Q(
        Exists(AppSecret.objects.filter(pk=OuterRef("secret_id"), removed__isnull=True))
    )


def live_secret_among_q(app_ids) -> Q:
    """live_secret_q for tokens of the Apps `app_ids` only: their live secrets are looked up
    once (one or two per App) rather than once per token, which is what a count over an App's
    100k tokens cannot afford (selectors.live_token_counts). Read through `all_objects`, or
    the default manager's per-token lookup runs as well."""
    live = AppSecret.objects.live().filter(app_id__in=app_ids).values("pk")
    return Q(secret__isnull=True) | Q(secret_id__in=live)


def live_token_q(prefix: str) -> Q:
    """live_secret_q through a join (`prefix` is e.g. "accesstoken__"), for counts over an
    App's tokens: a token with no secret, or whose secret is not removed. (A secret's row
    goes only after its last token, so the joined row is never missing.)"""
    return Q(**{f"{prefix}secret__isnull": True}) | Q(**{f"{prefix}secret__removed__isnull": True})


class LiveTokenManager(models.Manager):
    """The default manager of both token models: only tokens whose secret is live. Every
    read goes through it, django-oauth-toolkit's too (bearer validation, the refresh grant,
    revocation), as do the portal's lists and counts. `all_objects` sees the dead rows
    too, for the purge that deletes them."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(live_secret_q())


# The two links between an access token and a refresh token of the same App carry no
# database-level foreign key: the ORM still sets them to NULL on delete, and the bulk
# DELETEs of a whole App (services._delete_issued_credentials) remove both sides together.
# With the constraints, PostgreSQL ran one check per deleted row at COMMIT (1.2 s of the
# 1.3 s taken to regenerate an App with 100k + 100k tokens).


def minted_with() -> models.ForeignKey:
    """A token's secret: the one its client authenticated with at the token endpoint; empty
    for a client without one, or a token made outside the token endpoint (see AppSecret). No
    database-level key, like the tokens' other links: the purge deletes the rows later."""
    return models.ForeignKey(
        AppSecret,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        editable=False,
        verbose_name="secret",
    )


class AccessToken(AbstractAccessToken):
    """django-oauth-toolkit's access token, plus the User-Agent of the client that asked for it."""

    source_refresh_token = models.OneToOneField(
        "apps_registry.RefreshToken",
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="refreshed_access_token",
        db_constraint=False,
        verbose_name="source refresh token",
    )
    user_agent = models.CharField("user agent", max_length=512, blank=True)
    secret = minted_with()

    objects = LiveTokenManager()
    all_objects = models.Manager()

    class Meta(AbstractAccessToken.Meta):
        verbose_name = "access token"
        indexes = [
            # The purge deletes a removed secret's tokens by it; Regenerate those without one.
            models.Index(fields=["secret", "application"], name="accesstoken_secret_app"),
            # An App's live tokens counted from the index alone: the unexpired range of each
            # App, with the secret to leave out a removed one's (selectors.live_token_counts).
            models.Index(fields=["application", "expires", "secret"], name="accesstoken_app_expires"),
        ]


class RefreshToken(AbstractRefreshToken):
    """django-oauth-toolkit's refresh token, swapped together with the access token."""

    access_token = models.OneToOneField(
        "apps_registry.AccessToken",
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="refresh_token",
        db_constraint=False,
        verbose_name="access token",
    )
    secret = minted_with()

    objects = LiveTokenManager()
    all_objects = models.Manager()

    class Meta(AbstractRefreshToken.Meta):
        verbose_name = "refresh token"
        indexes = [
            models.Index(fields=["token_family"], name="apps_regist_token_f_dddd0a_idx"),
            models.Index(fields=["secret", "application"], name="refreshtoken_secret_app"),
        ]


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Edited"
    REVEAL_SECRET = "reveal_secret", "Revealed the secret"
    REGENERATE_SECRET = "regenerate_secret", "Regenerated the secret"
    ADD_SECRET = "add_secret", "Added a secret"
    REMOVE_SECRET = "remove_secret", "Removed a secret"
    REVOKE_TOKENS = "revoke_tokens", "Revoked tokens"
    ENABLE = "enable", "Enabled"
    DISABLE = "disable", "Disabled"
    REMOVE = "remove", "Removed"
    REVOKE_ACCESS = "revoke_access", "Revoked access"


class AppAuthorization(models.Model):
    """A live grant: `account` let `app` act for it (authorize.php's Allow, register.php's Grant
    access). While it lasts, authorize.php asks that account no more (design §8); revoking the
    access deletes it with the account's tokens and codes for the App."""

    app = models.ForeignKey(App, verbose_name="App", on_delete=models.CASCADE, related_name="authorizations")
    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="app_authorizations"
    )
    api = models.CharField("API", max_length=10, choices=Api.choices)
    first_authorized = models.DateTimeField("first authorized", default=timezone.now)
    # Refreshed by the token endpoint at most once a minute (services.app_authorization_used).
    last_used = models.DateTimeField("last used", null=True, blank=True)

    class Meta:
        verbose_name = "authorized App"
        verbose_name_plural = "authorized Apps"
        ordering = ["-first_authorized", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["app", "account"], name="app_authorization_unique"),
        ]
        indexes = [models.Index(fields=["account", "-first_authorized"], name="app_authorization_account")]

    def __str__(self) -> str:
        return f"{self.app} for {self.account}"


class AuditEvent(models.Model):
    """Who did what to which App of which account, when and from where. Never a secret."""

    created = models.DateTimeField("when", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="who", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField("who (username)", max_length=150)
    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="audit_events"
    )
    app = models.ForeignKey(
        App, verbose_name="App", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    app_name = models.CharField("App name", max_length=255)
    app_client_id = models.CharField("App ID/key", max_length=255)
    action = models.CharField("action", max_length=20, choices=AuditAction.choices)
    source = models.CharField("through", max_length=20, choices=AuditSource.choices)
    ip_address = models.GenericIPAddressField("from address", null=True, blank=True)
    details = models.JSONField("details", default=dict, blank=True)

    class Meta:
        verbose_name = "audit event"
        verbose_name_plural = "audit events"
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["account", "-created"], name="audit_account_created")]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.get_action_display().lower()} {self.app_name}"


class RedeemedCode(models.Model):
    """An authorization code that was exchanged, and the tokens the exchange issued.

    design §6: a replayed code also revokes what it issued. django-oauth-toolkit deletes a
    code once it is used, so this row is what remembers, for as long as the code could have
    lived, which tokens to revoke when it comes back.
    """

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    access_token_id = models.BigIntegerField(null=True)
    token_family = models.UUIDField(null=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"code {self.code_checksum[:8]}… of {self.application_id}"


class ConsumedRegistration(models.Model):
    """A /oauth/register.php consent that was acted on: the same consent submitted twice
    cannot create a second App (the unique nonce makes the second insert fail)."""

    nonce = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.nonce


class InitialAccessToken(models.Model):
    """An RFC 7591 initial access token: whoever holds it may register Apps to `account`
    through /oauth/register, until it expires, is used up or is revoked. Only its SHA-256
    checksum is kept; the token itself is shown once, when it is created (oauth.services)."""

    account = models.ForeignKey(
        Account, verbose_name="account", on_delete=models.CASCADE, related_name="initial_access_tokens"
    )
    name = models.CharField("name", max_length=100, validators=[validate_single_line])
    token_checksum = models.CharField("token checksum", max_length=64, unique=True, editable=False)
    created = models.DateTimeField("created", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="created by",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires = models.DateTimeField("expires")
    max_uses = models.PositiveIntegerField("registrations allowed")
    uses = models.PositiveIntegerField("registrations made", default=0)
    revoked = models.DateTimeField("revoked", null=True, blank=True)

    class Meta:
        verbose_name = "initial access token"
        verbose_name_plural = "initial access tokens"
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.name

    def state(self, now=None) -> str:
        """usable, revoked, expired or used up: what the token list shows."""
        if self.revoked is not None:
            return "revoked"
        if self.expires <= (now or timezone.now()):
            return "expired"
        if self.uses >= self.max_uses:
            return "used up"
        return "usable"


class ClientRegistration(models.Model):
    """How an App came through RFC 7591 registration: the RFC 7592 registration access token
    (its SHA-256 checksum), the client metadata as registered, and, for the open registration
    rate limit, the address it came from. Kept after the App is removed (app is then empty)
    until the rate-limit window has passed (oauth.housekeeping)."""

    app = models.OneToOneField(
        App, verbose_name="App", null=True, blank=True, on_delete=models.SET_NULL, related_name="registration"
    )
    access_token_checksum = models.CharField(
        "registration access token checksum", max_length=64, unique=True, editable=False
    )
    metadata = models.JSONField("client metadata", default=dict, blank=True)
    open_registration = models.BooleanField("open registration", default=False)
    initial_access_token = models.ForeignKey(
        InitialAccessToken,
        verbose_name="initial access token",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    ip_address = models.GenericIPAddressField("from address", null=True, blank=True)
    created = models.DateTimeField("registered", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "client registration"
        verbose_name_plural = "client registrations"
        indexes = [
            models.Index(fields=["ip_address", "created"], name="registration_ip_created"),
        ]

    def __str__(self) -> str:
        return f"registration of {self.app_id}"
