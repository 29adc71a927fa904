from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html

from .models import Account, Kind


class ChildAccountForm(forms.Form):
    """Add a child account; the kinds offered are the ones the parent may have below it."""

    kind = forms.ChoiceField(label="Account type")
    username = forms.CharField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    name = forms.CharField(max_length=255, label="Name")
    email = forms.EmailField(label="E-mail")
    phone = forms.CharField(max_length=32, required=False, label="Phone")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        label="Password again",
    )

    def __init__(self, *args, parent: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, Kind(kind).label) for kind in parent.child_kinds]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("password_again")
        return data
