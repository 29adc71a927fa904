"""Signing in: the portal's and the Django admin's sign-in forms (the consent pages of oauth
build on them), and django-axes' answer to a locked-out sign-in (design §7)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT = 429


def lockout_message() -> str:
    """What a locked-out sign-in is told: the same for every account name, known or not."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return (
        f"Too many failed sign-ins for this account from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


class LockoutAwareMixin:
    """A sign-in form that says why it refused when django-axes locked the sign-in out
    (its backend refused before any password was checked), instead of "wrong password".
    A username longer than the model's is refused as a field error before authenticate():
    AuthenticationForm sets max_length after the field has built its validators, so it was
    not checked, and django-axes then failed to store a name over 255 characters (a 500 on
    PostgreSQL, found by tests/security/fuzz/)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout_message(), code="locked_out") from None
            raise


class SignInForm(LockoutAwareMixin, AuthenticationForm):
    """The portal's sign-in form (/accounts/login/)."""


class AdminSignInForm(LockoutAwareMixin, AdminAuthenticationForm):
    """The Django admin's sign-in form."""


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: the sign-in page the view rendered (its form
    already says why, and a consent page keeps its request), sent as 429; a page of its own
    when there is no such page. No password was checked either way."""
    if (
        original_response is not None
        and original_response.status_code in (200, 400)
        and original_response.get("Content-Type", "").startswith("text/html")
    ):
        original_response.status_code = LOCKED_OUT
        return original_response
    response = render(request, "429.html", {"message": lockout_message()}, status=LOCKED_OUT)
    response["Cache-Control"] = "no-store"
    return response
