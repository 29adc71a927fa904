"""The Django admin for Apps: scoped to the accounts one manages, every write through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from oauth2_provider import models as oauth_models

from accounts.models import Account

from . import services
from .models import App, AuditEvent, AuditSource

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


class ScopedAdminMixin:
    """Objects outside the signed-in account's subtree do not exist here (404 in the admin)."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class ServiceErrorsMixin:
    """A rule refused by a service at save time (a race the form could not see, such as two
    creates at the limit) comes back as an error message; the transaction is rolled back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class AppAdminForm(forms.ModelForm):
    class Meta:
        model = App
        # The editable fields are in the order of the Add App form (DESIGN 3).
        fields = ["owner", "api", *services.EDITABLE_FIELDS, "enabled"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("owner") and data.get("api"):
            # The same checks app_create makes again under its lock; here they put the
            # error on the form instead of failing the save.
            try:
                services.check_api_allowed(owner=data["owner"], api=data["api"])
                services.check_app_limit(owner=data["owner"])
            except ValidationError as error:
                self.add_error("api" if error.code == "unified_api_not_allowed" else None, error)
        return data


@admin.register(App)
class AppAdmin(ServiceErrorsMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = AppAdminForm
    list_display = ["name", "owner", "api", "client_id", "trusted", "enabled", "created"]
    list_filter = ["api", "trusted", "enabled"]
    list_select_related = ["owner"]
    search_fields = ["name", "client_id", "owner__username"]
    ordering = ["name"]
    actions = ["remove_selected", "regenerate_secrets", "disable_selected", "enable_selected"]

    def get_queryset(self, request):
        return App.objects.manageable_by(request.user).defer("encrypted_secret")

    def get_fields(self, request, obj=None):
        fields = list(AppAdminForm.Meta.fields)
        if obj is None:
            fields.remove("enabled")
        else:
            fields.insert(2, "client_id")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ["owner", "api", "client_id"] if obj is not None else []

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
            app = services.app_create(
                actor=request.user,
                owner=data["owner"],
                api=data["api"],
                **{field: data[field] for field in services.EDITABLE_FIELDS},
                origin=origin,
            )
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
        for app in queryset:
            self.delete_model(request, app)

    @admin.action(description="Remove selected Apps (with their tokens)")
    def remove_selected(self, request, queryset):
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, f"Removed {count} App(s) and their tokens.", messages.SUCCESS)

    @admin.action(description="Regenerate the secret of the selected Apps (their tokens stop working)")
    def regenerate_secrets(self, request, queryset):
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        for app in queryset:
            services.app_regenerate_secret(actor=request.user, app=app, origin=origin)
        self.message_user(request, "New secrets generated; every token of those Apps was revoked.")

    @admin.action(description="Disable selected Apps")
    def disable_selected(self, request, queryset):
        self._set_enabled(request, queryset, enabled=False)

    @admin.action(description="Enable selected Apps")
    def enable_selected(self, request, queryset):
        self._set_enabled(request, queryset, enabled=True)

    def _set_enabled(self, request, queryset, *, enabled: bool) -> None:
        origin = services.Origin.from_request(request, AuditSource.ADMIN)
        for app in queryset:
            services.app_set_enabled(actor=request.user, app=app, enabled=enabled, origin=origin)
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


def view_on_site(request, content_type_id: int, object_id: str):
    """The admin's "View on site" shortcut, through the same scoped queryset as the model's
    admin pages: an object out of reach is a 404 exactly like a missing one (Django's own
    shortcut would redirect to it, telling that it exists)."""
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type else None
    if model is None or not admin.site.is_registered(model) or not object_id.isdigit():
        raise Http404("No such object.")
    obj = get_object_or_404(admin.site.get_model_admin(model).get_queryset(request), pk=int(object_id))
    if not hasattr(obj, "get_absolute_url"):
        raise Http404("This object has no page on the site.")
    return redirect(obj.get_absolute_url())
