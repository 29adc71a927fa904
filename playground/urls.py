from django.urls import path

from . import views

app_name = "playground"

urlpatterns = [
    path("playground/", views.start, name="start"),
    path("playground/callback/", views.callback, name="callback"),
    path("playground/step/", views.step, name="step"),
    path("playground/register/", views.register_rfc7591, name="register_rfc7591"),
    path("playground/apps/<int:pk>/", views.app_page, name="app"),
    path("playground/apps/<int:pk>/authorize/", views.app_authorize, name="authorize"),
]
