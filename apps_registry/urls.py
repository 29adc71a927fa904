from django.urls import path

from . import views

app_name = "apps_registry"

urlpatterns = [
    path("integration/apis/", views.integration, name="integration"),
    path("accounts/<int:pk>/apps/", views.app_list, name="list"),
]
