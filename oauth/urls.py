from django.urls import path

from . import views as oauth_views

app_name = "oauth"

urlpatterns = [
    path("oauth/register.php", oauth_views.register, name="register"),
    path("oauth/register/consent/", oauth_views.register_consent, name="register_consent"),
    path("oauth/register/resume/", oauth_views.register_resume, name="register_resume"),
    path("oauth/authorize.php", oauth_views.authorize, name="authorize"),
    path("oauth/authorize/resume/", oauth_views.authorize_resume, name="authorize_resume"),
    path("oauth/token.php", oauth_views.token, name="token"),
    path("oauth/revoke", oauth_views.revoke, name="revoke"),
    path("oauth/revoke.php", oauth_views.revoke),
    path("oauth/introspect", oauth_views.introspect, name="introspect"),
    path("oauth/introspect.php", oauth_views.introspect),
    path("uapi/@me", oauth_views.me, name="me"),
    path("unifiedapi/@me", oauth_views.me, name="unifiedapi_me"),
]
