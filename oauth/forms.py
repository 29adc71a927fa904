"""Forms of the public OAuth pages: what /oauth/register.php accepts, and the consent form."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model

from accounts.signin import SignInForm
from apps_registry.apis import REGISTRATION_DEFAULT
from apps_registry.models import Api, App

# design §5, in the order the error page lists problems.
REGISTER_APP_FIELDS = ("name", "description", "homepage", "image_uri", "email", "phone", "redirect_uri")
REGISTER_PARAMETERS = (*REGISTER_APP_FIELDS, "api", "state")
STATE_MAX_LENGTH = 2000


class RegistrationRequestForm(forms.Form):
    """The parameters an App sends to /oauth/register.php, checked by the App model's own
    validators (the same ones every other path uses) before anything is shown or created."""

    api = forms.ChoiceField(choices=Api.choices, required=False)
    state = forms.CharField(required=False, max_length=STATE_MAX_LENGTH, strip=False)

    def __init__(self, data, *args, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        fields = fields_for_model(App, fields=REGISTER_APP_FIELDS)
        for name, field in fields.items():
            # A form field built from a model field does not carry the model's validators.
            field.validators = list(App._meta.get_field(name).validators)
        self.fields = {**fields, **self.fields}
        self.duplicated = [key for key in REGISTER_PARAMETERS if len(data.getlist(key)) > 1]

    def clean_api(self) -> str:
        return self.cleaned_data["api"] or REGISTRATION_DEFAULT

    def clean(self):
        for key in self.duplicated:
            message = f"The {key} parameter is given more than once."
            self.add_error(key if key in self.fields else None, message)
        return super().clean()

    def problems(self) -> list[str]:
        """Each problem as one line that names its parameter, for the error page."""
        return [
            f"{field}: {message}" if field != "__all__" else message
            for field, messages in self.errors.items()
            for message in messages
        ]


class ConsentLoginForm(SignInForm):
    """Sign in on the consent page itself (design §5)."""

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        # The consent page's first job for a signed-out user: the username field has the focus.
        self.fields["username"].widget.attrs["autofocus"] = True


class InitialAccessTokenForm(forms.Form):
    """A new RFC 7591 initial access token of an account (oauth.services checks it again)."""

    name = forms.CharField(max_length=100, help_text='What it is for, e.g. "MCP clients of the sales team".')
    days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=90, initial=7, help_text="1 to 90 days."
    )
    max_uses = forms.IntegerField(
        label="Registrations allowed",
        min_value=1,
        max_value=1000,
        initial=1,
        help_text="How many Apps may register with it.",
    )
