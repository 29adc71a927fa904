"""The Django admin for accounts: scoped to one's own subtree; new accounts through the service."""

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from portal.admin import ScopedAdminMixin, ServiceErrorsMixin

from .models import Account, Kind
from .services import account_create

admin.site.unregister(Group)  # accounts are placed by kind and parent, not by groups
# Identities are linked and unlinked by their account's owner only (accounts/external.py),
# providers come from the environment, and allauth's e-mail addresses are unused: none of
# allauth's models is edited in the admin.
for _model in (SocialApp, SocialAccount, SocialToken, EmailAddress, EmailConfirmation):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class AccountAddForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    class Meta:
        model = Account
        fields = ["parent", "kind", "username", "name", "email", "phone"]

    def clean(self):
        data = super().clean()
        parent, kind = data.get("parent"), data.get("kind")
        if parent is not None and kind and kind not in parent.child_kinds:
            self.add_error(
                "kind", f"A {parent.get_kind_display()} account cannot have a {Kind(kind).label} below it."
            )
        if data.get("password"):
            candidate = Account(
                username=data.get("username", ""), name=data.get("name", ""), email=data.get("email", "")
            )
            try:
                validate_password(data["password"], candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return data


@admin.register(Account)
class AccountAdmin(ServiceErrorsMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["username", "name", "kind", "parent", "email", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["username", "name", "email"]
    ordering = ["username"]

    def get_queryset(self, request):
        return Account.objects.manageable_by(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AccountAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["parent", "kind", "username", "password", "name", "email", "phone"]
        return [
            "username",
            "kind",
            "parent",
            "name",
            "email",
            "phone",
            "is_active",
            "date_joined",
            "last_login",
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["username", "kind", "parent", "date_joined", "last_login"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Account.objects.manageable_by(request.user).exclude(kind=Kind.USER)
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts are not removed here: their Apps and children depend on them

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            obj.save(
                update_fields=[f for f in ("name", "email", "phone", "is_active") if f in form.changed_data]
            )
            return
        data = form.cleaned_data
        account = account_create(
            actor=request.user,
            parent=data["parent"],
            kind=data["kind"],
            username=data["username"],
            password=data["password"],
            name=data["name"],
            email=data["email"],
            phone=data.get("phone", ""),
        )
        obj.pk = account.pk
