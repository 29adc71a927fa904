from django.urls import path

from . import views

app_name = "apps_registry"

urlpatterns = [
    path("integration/apis/", views.integration, name="integration"),
    path("accounts/<int:pk>/apps/", views.app_list, name="list"),
    path("accounts/<int:pk>/apps/add/", views.app_add, name="add"),
    path("accounts/<int:pk>/apps/action/", views.app_bulk_action, name="bulk_action"),
    path("accounts/<int:pk>/apps/remove/", views.app_bulk_action, {"action": "remove"}, name="bulk_remove"),
    path("accounts/<int:pk>/authorized-apps/", views.authorized_apps_view, name="authorized"),
    path("accounts/<int:pk>/authorized-apps/revoke/", views.revoke_access_view, name="revoke_access"),
    path("accounts/<int:pk>/audit/", views.audit_trail, name="audit"),
    path("accounts/<int:pk>/audit.csv", views.audit_trail_csv, name="audit_csv"),
    path("apps/<int:pk>/", views.app_edit, name="edit"),
    path("apps/<int:pk>/secret/reveal/", views.app_reveal_secret_view, name="reveal_secret"),
    path("apps/<int:pk>/secret/regenerate/", views.app_regenerate_secret_view, name="regenerate_secret"),
    path("apps/<int:pk>/secret/add/", views.app_add_secret_view, name="add_secret"),
    path("apps/<int:pk>/secret/<int:secret_pk>/remove/", views.app_remove_secret_view, name="remove_secret"),
    path("apps/<int:pk>/tokens/", views.app_tokens, name="tokens"),
    path("apps/<int:pk>/tokens/revoke/", views.app_revoke_tokens_view, name="revoke_tokens"),
    path("apps/<int:pk>/enable/", views.app_set_enabled_view, {"enabled": True}, name="enable"),
    path("apps/<int:pk>/disable/", views.app_set_enabled_view, {"enabled": False}, name="disable"),
    path("apps/<int:pk>/remove/", views.app_remove_view, name="remove"),
    path("apps/<int:pk>/email/confirm/", views.app_email_confirmation_view, name="ask_email_confirmation"),
    path("apps/email-confirmation/<str:token>/", views.email_confirm, name="confirm_email"),
]
