"""An App's access and refresh tokens (django-oauth-toolkit's, swapped), and the condition
every read of a token applies: its secret is live (LiveTokenManager)."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from oauth2_provider.models import AbstractAccessToken, AbstractRefreshToken

from portal.speedups.among import Among

from .app_secret import AppSecret


def live_secret_q() -> Q:
    """A token whose secret still authenticates, or that has none (a public client's, or one
    made outside the token endpoint): the condition every read of a token applies."""
    return Q(secret__isnull=True) | Q(
        Exists(AppSecret.objects.filter(pk=OuterRef("secret_id"), removed__isnull=True))
    )


def live_secret_among_q(app_ids) -> Q:
    """live_secret_q for tokens of the Apps `app_ids` only (a list of ids, or an OuterRef to
    one App's id: a count per row of an outer query): their live secrets are looked up once
    (one or two per App) rather than once per token, which is what a count over an App's 100k
    tokens cannot afford (selectors.live_token_counts). Read through `all_objects`, or the
    default manager's per-token lookup runs as well."""
    among = Q(app_id=app_ids) if isinstance(app_ids, OuterRef) else Among("app_id", app_ids)
    live = AppSecret.objects.live().filter(among).values("pk")
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


# A refresh token's link to its access token is a real foreign key (migration 0013): a
# refresh racing Revoke access once left one naming a deleted row. The reverse link (an
# access token's source refresh token) carries none: the ORM still sets it to NULL on delete,
# and the bulk DELETEs (services._delete_issued) remove both sides together. Its cost falls on
# deletes of access tokens (one index lookup per row, at COMMIT on PostgreSQL), which are the
# purges' and the revokes', never Regenerate's (it marks the secrets removed, design §3).


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
