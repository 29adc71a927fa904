"""The Django admin's view of RFC 7591 initial access tokens (design §6.1): list and revoke,
scoped to the Administrator's tree; the token itself is never stored, so never shown."""

from __future__ import annotations

from django.contrib import admin

from accounts.models import Account
from apps_registry.models import InitialAccessToken
from portal.admin import ScopedAdminMixin
from portal.audit import AuditSource, Origin

from .services import initial_access_token_revoke


@admin.register(InitialAccessToken)
class InitialAccessTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "account", "state", "uses", "max_uses", "expires", "created_by", "created"]
    list_select_related = ["account", "created_by"]
    search_fields = ["name", "account__username"]
    fields = ["name", "account", "created_by", "created", "expires", "max_uses", "uses", "revoked"]
    readonly_fields = fields
    actions = ["revoke_selected"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(account__in=Account.objects.manageable_by(request.user).values("pk"))
        )

    @admin.display(description="state")
    def state(self, obj: InitialAccessToken) -> str:
        return obj.state()

    def has_add_permission(self, request) -> bool:
        return False  # created on the account's page or with create_initial_access_token (shown once)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: the audit trail and its Apps keep naming it

    @admin.action(description="Revoke the selected initial access tokens")
    def revoke_selected(self, request, queryset):
        origin = Origin.from_request(request, AuditSource.ADMIN)
        for token in queryset.select_related("account"):
            initial_access_token_revoke(actor=request.user, token=token, origin=origin)
        self.message_user(request, "The selected initial access tokens register no more Apps.")
