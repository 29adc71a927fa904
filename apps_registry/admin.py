"""The Django admin for Apps: scoped to the accounts one manages, every write through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from oauth2_provider import models as oauth_models

from accounts.models import Account
from portal.admin import ScopedAdminMixin, ServiceErrorsMixin

from . import services
from .exceptions import ApiNotAllowed, AppLimitReached, SecretLimitReached
from .models import App, AppAuthorization, AppSecret, AuditEvent, AuditSource
from .selectors.changelist import APPS_PER_PAGE

# Apps and their tokens are managed through the services, never through
# django-oauth-toolkit's own admin pages, which would bypass every rule and every scope.
for model in (
    oauth_models.get_application_model(),
    oauth_models.get_access_token_model(),
    oauth_models.get_refresh_token_model(),
    oauth_models.get_grant_model(),
    oauth_models.get_id_token_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class AppAdminForm(forms.ModelForm):
    # Set once the form warned of an App of the same name and redirect URL (app_add_check).
    add_anyway = forms.BooleanField(widget=forms.HiddenInput, required=False)
    actor = None  # the signed-in account, set by AppAdmin.get_form

    class Meta:
        model = App
        # The editable fields are in the order of the Add App form (design §3).
        fields = ["owner", "api", *services.EDITABLE_FIELDS, "enabled"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("owner") and data.get("api"):
            # The same checks app_create makes again under its lock; here they put the
            # error on the form instead of failing the save.
            try:
                services.check_api_allowed(owner=data["owner"], api=data["api"])
                services.check_app_limit(owner=data["owner"])
            except ApiNotAllowed as error:
                self.add_error("api", error)
            except AppLimitReached as error:
                self.add_error(None, error)
            else:
                self._ask_about_a_twin(data)
        return data

    def _ask_about_a_twin(self, data: dict) -> None:
        """An App of the same name and redirect URL exists on the owner's tab: say so, and the
        next Save adds this one anyway (as the portal's Add App form does)."""
        if not (data.get("name") and data.get("redirect_uri")):
            return
        checked = services.app_add_check(
            actor=self.actor,
            owner=data["owner"],
            api=data["api"],
            name=data["name"],
            redirect_uri=data["redirect_uri"],
            confirm_twin=not data.get("add_anyway"),
        )
        if checked is not None:
            self.add_error(None, twin_warning(checked.app))
            self.data = self.data.copy()
            self.data["add_anyway"] = "1"


def twin_warning(twin: App) -> ValidationError:
    """The admin's words for a twin (app_add_check's TWIN)."""
    return ValidationError(
        "%(owner)s already has an App named “%(name)s” with this redirect URL on %(api)s "
        "(App ID/key %(key)s). Save again only to add a second one.",
        code="twin",
        params={
            "owner": twin.owner.username,
            "name": twin.name,
            "api": twin.get_api_display(),
            "key": twin.client_id,
        },
    )


class AppSecretInline(admin.TabularInline):
    """The App's live secrets, masked. Ticking "Remove" and saving removes one through
    app_remove_secret (its tokens stop working; the last secret stays: an error message);
    "Add a second secret" is an action of the App list."""

    model = AppSecret
    fields = ["masked", "created", "added_by_username", "last_used"]
    readonly_fields = fields
    extra = 0
    max_num = 0  # added through the action, never through this form
    can_delete = True
    verbose_name = "secret"
    verbose_name_plural = "secrets (two while the App rotates; tick Remove and save to remove one)"

    def get_queryset(self, request):
        return super().get_queryset(request).live()

    @admin.display(description="secret")
    def masked(self, obj: AppSecret) -> str:
        return obj.masked

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)


@admin.register(App)
class AppAdmin(ServiceErrorsMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = AppAdminForm
    inlines = [AppSecretInline]
    list_display = [
        "name",
        "owner",
        "api",
        "client_id",
        "registration_source",
        "trusted",
        "enabled",
        "created",
        "last_used",
    ]
    list_filter = ["api", "trusted", "enabled"]
    list_select_related = ["owner"]
    search_fields = ["name", "client_id", "owner__username"]
    ordering = ["name"]
    list_per_page = APPS_PER_PAGE  # as the portal's own App list (bench row R4 compares them)
    actions = ["remove_selected", "add_secrets", "regenerate_secrets", "disable_selected", "enable_selected"]

    def get_queryset(self, request):
        return App.objects.manageable_by(request.user)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # app_create gives a new App its secret

    def save_formset(self, request, form, formset, change):
        """The secrets' inline saves nothing itself: each secret ticked Remove goes through
        app_remove_secret (a refused rule rolls the whole save back, with its message)."""
        if formset.model is not AppSecret:
            return super().save_formset(request, form, formset, change)
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        for secret_form in formset.deleted_forms:
            secret = secret_form.instance
            if secret.pk is not None:
                services.app_remove_secret(
                    actor=request.user, app=form.instance, secret_id=secret.pk, origin=origin
                )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class made for this request by modelform_factory
        return form

    def get_fields(self, request, obj=None):
        fields = list(AppAdminForm.Meta.fields)
        if obj is None:
            fields.remove("enabled")
            fields.append("add_anyway")
        else:
            fields.insert(2, "client_id")
            fields.insert(3, "client_type")
            fields.insert(4, "registration_source")
            if obj.is_metadata_document:
                fields[5:5] = ["metadata_fetched", "cimd_expires_at"]
            if obj.extra_redirect_uris:
                fields.insert(fields.index("redirect_uri") + 1, "extra_redirect_uris")
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "owner",
            "api",
            "client_id",
            "client_type",
            "registration_source",
            "metadata_fetched",
            "cimd_expires_at",
            "extra_redirect_uris",
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = Account.objects.manageable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by remove_selected, through the service
        return actions

    def save_model(self, request, obj, form, change):
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        data = form.cleaned_data
        if not change:
            added = services.app_add(
                actor=request.user,
                owner=data["owner"],
                api=data["api"],
                **{field: data[field] for field in services.EDITABLE_FIELDS},
                confirm_twin=not data["add_anyway"],
                origin=origin,
            )
            if added.outcome is services.AddOutcome.TWIN:  # added since the form asked
                raise twin_warning(added.app)
            app = added.app
            obj.pk, obj.client_id, obj.created = app.pk, app.client_id, app.created
            return
        services.app_update(
            actor=request.user,
            app=obj,
            origin=origin,
            **{field: data[field] for field in services.EDITABLE_FIELDS if field in form.changed_data},
        )
        if "enabled" in form.changed_data:
            services.app_set_enabled(actor=request.user, app=obj, enabled=data["enabled"], origin=origin)

    def get_deleted_objects(self, objs, request):
        # The default walks every related row (100k tokens would be listed one by one).
        apps = list(objs)
        summary = [
            f"{app.name} ({app.client_id}), with all of its tokens and authorization codes" for app in apps
        ]
        return summary, {"Apps": len(apps)}, set(), []

    def delete_model(self, request, obj):
        services.app_remove(
            actor=request.user, app=obj, origin=services.Origin.from_request(request, AuditSource.ADMIN)
        )

    def delete_queryset(self, request, queryset):
        """The selected Apps in one transaction, one digest of notices per recipient."""
        services.apps_remove(
            actor=request.user,
            apps=list(queryset.select_related(None).only("pk")),
            origin=services.Origin.from_request(request, AuditSource.ADMIN),
        )

    @admin.action(description="Remove selected Apps (with their tokens)")
    def remove_selected(self, request, queryset):
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, f"Removed {count} App(s) and their tokens.", messages.SUCCESS)

    @admin.action(description="Add a second secret to the selected Apps (to rotate without downtime)")
    def add_secrets(self, request, queryset):
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        added, full = 0, []
        for app in queryset:
            try:
                services.app_add_secret(actor=request.user, app=app, origin=origin)
                added += 1
            except SecretLimitReached:
                full.append(app.name)
        # The new secrets are never put in a message (kept in the session or a cookie).
        self.message_user(
            request,
            f"Added a second secret to {added} App(s); reveal it on the App's page in the portal.",
            messages.SUCCESS,
        )
        if full:
            self.message_user(
                request, f"Not added (two secrets already): {', '.join(full)}.", messages.WARNING
            )

    @admin.action(description="Regenerate the secret of the selected Apps (their tokens stop working)")
    def regenerate_secrets(self, request, queryset):
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        # A public client has no secret: left alone by the service.
        services.apps_regenerate_secret(
            actor=request.user, apps=list(queryset.select_related(None).only("pk")), origin=origin
        )
        self.message_user(request, "New secrets generated; every token of those Apps was revoked.")

    @admin.action(description="Disable selected Apps")
    def disable_selected(self, request, queryset):
        self._set_enabled(request, queryset, enabled=False)

    @admin.action(description="Enable selected Apps")
    def enable_selected(self, request, queryset):
        self._set_enabled(request, queryset, enabled=True)

    def _set_enabled(self, request, queryset, *, enabled: bool) -> None:
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        services.apps_set_enabled(
            actor=request.user,
            apps=list(queryset.select_related(None).only("pk")),
            enabled=enabled,
            origin=origin,
        )
        self.message_user(request, "Apps enabled." if enabled else "Apps disabled.")


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created", "actor_username", "action", "app_name", "account", "source", "ip_address"]
    list_filter = ["action", "source"]
    search_fields = ["app_name", "app_client_id", "actor_username"]
    list_select_related = ["account"]

    def get_queryset(self, request):
        return AuditEvent.objects.filter(account__in=Account.objects.manageable_by(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AppAuthorization)
class AppAuthorizationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The grants of the accounts one manages (their Authorized Apps): read-only, taken back
    with the "Revoke access" action, through the same service as the portal's page."""

    list_display = ["app", "account", "api", "first_authorized", "last_used"]
    list_filter = ["api"]
    search_fields = ["app__name", "app__client_id", "account__username"]
    list_select_related = ["app", "account"]
    actions = ["revoke_access"]

    def get_queryset(self, request):
        manageable = Account.objects.manageable_by(request.user).values("pk")
        return AppAuthorization.objects.filter(account__in=manageable)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by revoke_access, through the service
        return actions

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke access (the App loses the account's tokens and codes)")
    def revoke_access(self, request, queryset):
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        by_account: dict[int, list] = {}
        for grant in queryset.select_related("app", "account"):
            by_account.setdefault(grant.account_id, []).append(grant)
        for grants in by_account.values():
            services.app_revoke_access(
                actor=request.user,
                account=grants[0].account,
                apps=[grant.app for grant in grants],
                origin=origin,
            )
        count = sum(len(grants) for grants in by_account.values())
        self.message_user(request, f"Revoked the access of {count} App(s).", messages.SUCCESS)
