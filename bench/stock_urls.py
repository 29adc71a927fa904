from django.http import HttpResponse
from django.urls import path
from oauth2_provider.views import ProtectedResourceView, TokenView


class Protected(ProtectedResourceView):
    def get(self, request, *args, **kwargs):
        return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("o/token/", TokenView.as_view()),
    path("o/protected/", Protected.as_view()),
]
