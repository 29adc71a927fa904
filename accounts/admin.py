"""The Django admin for accounts: scoped to one's own subtree; every write through the services."""

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from portal.admin import ScopedAdminMixin, ServiceErrorsMixin
from portal.audit import AuditSource, Origin
from portal.forms import add_service_errors

from . import services
from .models import Account, AccountEvent, Kind

admin.site.unregister(Group)  # accounts are placed by kind and parent, not by groups
# Identities are linked and unlinked by their account's owner only (accounts/external.py),
# providers come from the environment, and allauth's e-mail addresses are unused: none of
# allauth's models is edited in the admin.
for _model in (SocialApp, SocialAccount, SocialToken, EmailAddress, EmailConfirmation):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class AccountAddForm(forms.ModelForm):
    """The admin's add form: the service's own check says what it would refuse (the kind the
    parent may have below it, the fields, the password), beside the field concerned."""

    actor: Account | None = None  # set per request by AccountAdmin.get_form
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    class Meta:
        model = Account
        fields = ["parent", "kind", "username", "name", "email", "phone"]

    def clean(self):
        data = super().clean()
        needed = ("parent", "kind", "username", "password", "name", "email")
        if all(data.get(field) for field in needed):
            try:
                services.check_new_account(
                    actor=self.actor, **{field: data[field] for field in needed}, phone=data.get("phone", "")
                )
            except ValidationError as error:
                add_service_errors(self, error)
            except PermissionDenied as error:
                self.add_error("parent", str(error))
        return data


@admin.register(Account)
class AccountAdmin(ServiceErrorsMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["username", "name", "kind", "parent", "email", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["username", "name", "email"]
    ordering = ["username"]
    actions = ["deactivate_selected", "reactivate_selected"]

    def get_queryset(self, request):
        return Account.objects.manageable_by(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type("AccountAddForm", (AccountAddForm,), {"actor": request.user})
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

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # accounts are not removed here
        return actions

    def save_model(self, request, obj, form, change):
        origin = Origin.from_request(request, AuditSource.ADMIN)
        data = form.cleaned_data
        if not change:
            account = services.account_create(
                actor=request.user,
                parent=data["parent"],
                kind=data["kind"],
                username=data["username"],
                password=data["password"],
                name=data["name"],
                email=data["email"],
                phone=data.get("phone", ""),
                origin=origin,
            )
            obj.pk = account.pk
            return
        services.account_update(
            actor=request.user,
            account=obj,
            origin=origin,
            **{field: data[field] for field in services.EDITABLE_FIELDS if field in form.changed_data},
        )
        if "is_active" in form.changed_data:
            services.account_set_active(
                actor=request.user, account=obj, active=data["is_active"], origin=origin
            )

    @admin.action(description="Deactivate selected accounts")
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description="Reactivate selected accounts")
    def reactivate_selected(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        origin = Origin.from_request(request, AuditSource.ADMIN)
        done, refused = 0, []
        for account in queryset:
            try:
                services.account_set_active(actor=request.user, account=account, active=active, origin=origin)
            except ValidationError as error:
                refused.append(f"{account.username}: {' '.join(error.messages)}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} account(s) {'reactivated' if active else 'deactivated'}.")
        if refused:
            self.message_user(request, "Not changed: " + "; ".join(refused), messages.ERROR)


@admin.register(AccountEvent)
class AccountEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The account changes within one's own subtree, read only."""

    list_display = [
        "created",
        "actor_username",
        "action",
        "account_username",
        "parent",
        "source",
        "ip_address",
    ]
    list_filter = ["action", "source"]
    search_fields = ["account_username", "actor_username"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        reach = Account.objects.manageable_by(request.user).values("pk")
        return AccountEvent.objects.filter(Q(account__in=reach) | Q(parent__in=reach))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
