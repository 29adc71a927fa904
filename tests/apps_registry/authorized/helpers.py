"""What the Authorized Apps tests share: the page's and Revoke's URLs, a grant with its
tokens and code, what an account still holds of an App."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import Grant

from apps_registry.models import AccessToken, AppAuthorization, RefreshToken
from apps_registry.services import app_authorization_grant


def authorized_url(account) -> str:
    return reverse("apps_registry:authorized", args=[account.pk])


def revoke_url(account) -> str:
    return reverse("apps_registry:revoke_access", args=[account.pk])


def grant(app, account, make_tokens, tokens: int = 1):
    """`account` authorized `app` and holds `tokens` live tokens of it, and an unused code."""
    app_authorization_grant(app=app, account=account)
    made = make_tokens(app, tokens, user=account)
    Grant.objects.create(
        application=app,
        user=account,
        code=f"code-{app.pk}-{account.pk}",
        expires=timezone.now() + timedelta(minutes=10),
        redirect_uri=app.redirect_uri,
        scope=app.api,
    )
    return made


def held(app, account) -> dict:
    return {
        "grant": AppAuthorization.objects.filter(app=app, account=account).exists(),
        "access": AccessToken.objects.filter(application=app, user=account).count(),
        "refresh": RefreshToken.objects.filter(application=app, user=account).count(),
        "codes": Grant.objects.filter(application=app, user=account).count(),
    }
