"""Authorized Apps (design §8): the grants an account gave, and whether authorize.php asks again."""

from __future__ import annotations

from django.db.models import Case, Count, Exists, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account

from ..models import AccessToken, App, AppAuthorization


def consent_remembered(account: Account, app: App) -> bool:
    """authorize.php asks no more: the account authorized this App for its API and did not
    revoke it, and the App is still usable (enabled, its owner active). One query."""
    return AppAuthorization.objects.filter(
        account_id=account.pk, app_id=app.pk, api=app.api, app__enabled=True, app__owner__is_active=True
    ).exists()


def authorized_apps(actor: Account, account: Account, *, app_ids: list[int] | None = None):
    """The Apps holding a live grant to act for `account` (its Authorized Apps page), or only
    those of `app_ids`, ordered by name, in ONE query whatever their number: each grant with its
    App's public details (`app`), `live_tokens` (the App's unexpired access tokens acting for
    the account) and `owner_username`, the App's owner account, only when the actor may manage
    it (None otherwise: an owner out of reach is never shown, design §2)."""
    live = (
        AccessToken.objects.filter(
            application_id=OuterRef("app_id"), user_id=account.pk, expires__gt=timezone.now()
        )
        .order_by()
        .values("application_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    owner_in_reach = Exists(Account.objects.manageable_by(actor).filter(pk=OuterRef("app__owner_id")))
    grants = AppAuthorization.objects.filter(account_id=account.pk)
    if app_ids is not None:
        grants = grants.filter(app_id__in=app_ids)
    return list(
        grants.select_related("app")
        .only(
            "pk",
            "api",
            "first_authorized",
            "last_used",
            "app_id",
            "account_id",
            "app__id",
            "app__name",
            "app__description",
            "app__homepage",
            "app__image_uri",
            "app__email",
            "app__api",
            "app__client_id",
            "app__enabled",
            "app__owner_id",
        )
        .annotate(
            live_tokens=Coalesce(Subquery(live), 0),
            owner_username=Case(When(owner_in_reach, then=F("app__owner__username")), default=None),
        )
        .order_by("app__name", "app_id")
    )
