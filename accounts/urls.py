from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/add-child/", views.account_add_child, name="add_child"),
    path(
        "<int:pk>/identities/<int:identity_pk>/unlink/",
        views.identity_unlink_view,
        name="identity_unlink",
    ),
]
