"""The App form of the portal (design §3 and 4). Forms only parse; services.py writes."""

from __future__ import annotations

from django import forms
from django.core import signing

from .crypto import generate_credential, is_credential
from .models import App
from .services import EDITABLE_FIELDS, may_mark_resource_server

# The generated key and secret travel in the Add App form signed, so what the user saw is what
# the App gets, and nobody can pick their own: a tampered or stale pair is refused.
CREDENTIALS_MAX_AGE = 24 * 60 * 60


def _credentials_salt(owner_pk: int, api: str) -> str:
    return f"apps_registry.app_add:{owner_pk}:{api}"


def sign_credentials(*, owner_pk: int, api: str, client_id: str, client_secret: str) -> str:
    return signing.dumps({"id": client_id, "secret": client_secret}, salt=_credentials_salt(owner_pk, api))


def load_credentials(token: str, *, owner_pk: int, api: str) -> dict[str, str]:
    """The pair signed for this account and API; BadSignature when forged, altered or stale."""
    data = signing.loads(token, salt=_credentials_salt(owner_pk, api), max_age=CREDENTIALS_MAX_AGE)
    if not (
        isinstance(data, dict)
        and is_credential(str(data.get("id", "")))
        and is_credential(str(data.get("secret", "")))
    ):
        raise signing.BadSignature("Not a pair of credentials.")
    return {"client_id": data["id"], "client_secret": data["secret"]}


class AppForm(forms.ModelForm):
    """The fields an App's owner fills in, in the order of design §3. Never saved by itself:
    the view hands `service_arguments()` to app_create or app_update. "App is a resource
    server" is shown to Administrators only (the service refuses it from anyone else)."""

    class Meta:
        model = App
        fields = EDITABLE_FIELDS
        # No placeholders: a greyed "https://" looks like a value already typed. The help texts
        # say what to enter instead.
        labels = {"email": "Admin email"}
        help_texts = {
            "homepage": "An https:// address, shown to users when they authorize the App.",
            "image_uri": "Optional: an https:// address of the App's logo.",
            "redirect_uri": "The https:// address users return to after authorizing the App.",
            "trusted": "A trusted App may get an access token with its key and secret alone "
            "(client_credentials). Activate this option only if you trust the App.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "homepage": forms.URLInput(),
            "image_uri": forms.URLInput(),
            "redirect_uri": forms.URLInput(),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_mark_resource_server(actor):
            del self.fields["resource_server"]
        # URLInput would make the browser refuse some URLs before the server can explain
        # why; the server's messages are the clearer ones, so keep the fields as text.
        for name in ("homepage", "image_uri", "redirect_uri"):
            self.fields[name].widget.input_type = "text"
            self.fields[name].widget.attrs.setdefault("spellcheck", "false")
        # The model's MaxLengthValidator(1000) refuses more; the browser stops typing there.
        self.fields["description"].widget.attrs["maxlength"] = 1000

    def service_arguments(self) -> dict:
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS if field in self.fields}


class AppAddForm(AppForm):
    """Add an App: the fields, plus the generated key and secret carried signed."""

    credentials = forms.CharField(widget=forms.HiddenInput, required=False)
    # Set once the form warned that an App of the same name and redirect URL exists.
    add_anyway = forms.BooleanField(widget=forms.HiddenInput, required=False)

    error_messages = {
        "credentials": "The generated App ID/key and secret could not be checked (the form is too old "
        "or was altered); new ones were generated. Check the form and submit it again.",
    }

    def __init__(self, *args, actor, owner_pk: int, api: str, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.owner_pk = owner_pk
        self.api = api
        self.credentials_invalid = False
        pair = None
        if self.is_bound:
            try:
                pair = load_credentials(self.data.get("credentials", ""), owner_pk=owner_pk, api=api)
            except signing.BadSignature:
                self.credentials_invalid = True
        self.generated = pair or self._new_credentials()

    def _new_credentials(self) -> dict[str, str]:
        """A fresh pair, signed into the form for the next submit."""
        pair = {"client_id": generate_credential(), "client_secret": generate_credential()}
        token = sign_credentials(owner_pk=self.owner_pk, api=self.api, **pair)
        if self.is_bound:
            self.data = self.data.copy()
            self.data["credentials"] = token
        else:
            self.initial["credentials"] = token
        return pair

    def renew_credentials(self, message: str) -> None:
        """The pair was used already (the form was sent twice): offer a new one, and say so."""
        self.generated = self._new_credentials()
        self.add_error(None, forms.ValidationError(message, code="credentials_used"))

    def confirm_twin(self) -> None:
        """The form warned about a twin App: the next OK adds this one anyway."""
        self.data = self.data.copy()
        self.data["add_anyway"] = "1"

    def clean_credentials(self) -> str:
        if self.credentials_invalid:
            raise forms.ValidationError(self.error_messages["credentials"], code="credentials")
        return self.data["credentials"]

    def service_arguments(self) -> dict:
        return {**super().service_arguments(), **self.generated}


def selected_ids(data, name: str) -> list[int]:
    """The rows picked in a list (`name` repeated): ids parsed safely, anything else dropped."""
    values = data.getlist(name)[:1000]
    # At most 18 digits: always within a 64-bit primary key, never a database error.
    return sorted({int(value) for value in values if value.isdigit() and len(value) <= 18})
