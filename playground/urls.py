from django.urls import path

from . import views as playground

app_name = "playground"

urlpatterns = [
    path("playground/", playground.start, name="start"),
    path("playground/callback/", playground.callback, name="callback"),
    path("playground/step/", playground.step, name="step"),
    path("playground/apps/<int:pk>/", playground.app_page, name="app"),
    path("playground/apps/<int:pk>/authorize/", playground.app_authorize, name="authorize"),
]
