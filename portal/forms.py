"""Helpers shared by the forms of every app."""

import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: each message beside its field when the
    form has that field, at the top of the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)


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
    PostgreSQL, found by tests/security/test_fuzz.py)."""

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
