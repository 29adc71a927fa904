"""The site's URLs: every app's, composed (the composition root stands above every app)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.signin import AdminSignInForm, SignInForm
from portal import views as portal_views
from portal.admin import admin_sign_in, view_on_site

admin.site.site_header = "App registration portal"
admin.site.site_title = "App registration portal"
admin.site.index_title = "Administration"
admin.site.login_form = AdminSignInForm

# A server fault on an endpoint a program calls is answered as JSON (oauth.views.server_error).
handler500 = "oauth.views.server_error"

urlpatterns = [
    # First: the endpoints programs call on every API request (token, introspection, /uapi/@me)
    # are found before the pages' patterns are tried (make bench, P3 and P7).
    path("", include("oauth.urls")),
    path("", account_views.home, name="home"),
    # Probes and metrics (docs/deployment.md, section 9).
    path("", include("ops.urls")),
    # Browsers ask for /favicon.ico whatever the page says; a 404 there fills the logs.
    path("favicon.ico", portal_views.favicon, name="favicon"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/external/", include("accounts.external_urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("apps_registry.urls")),
    path("", include("playground.urls")),
    # Ahead of the admin's own unscoped shortcut of the same path.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
    ),
    # Ahead of the admin's own: a signed-in account it refuses gets the portal's 403 page.
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
]
