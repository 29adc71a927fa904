"""Django's translation machinery is off (USE_I18N = False, config/settings.py: the portal is in
English only and has no LocaleMiddleware, so it translated nothing; off, each gettext,
{% url %} and number written skips a lookup of the active language). These pages, which show
Django's and the admin's own words, dates, counts and form errors, read the same with it on:
if a translated word or a language-dependent format ever appears, this fails (it does with
the other side in German). The sign-in page is not among them: it reads the same in German,
so comparing it could not fail."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import AppFactory

# Per-response values: the CSRF token, masked anew on every page, and the Add App form's
# freshly generated key and secret (shown, and signed into a hidden field).
RANDOM = re.compile(
    r'(csrfmiddlewaretoken" value=|"X-CSRFToken": |name="credentials" value=|'
    r'id="generated-client-(?:id|secret)" type="text" value=)"[^"]+"'
)


def _read(client, method: str, url: str, data=None) -> tuple[int, str]:
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    return response.status_code, RANDOM.sub(r"\1", response.content.decode())


def _pages(demo, app) -> list[tuple[str, str, dict | None]]:
    admin = demo["admin"]
    return [
        ("get", reverse("apps_registry:list", args=[admin.pk]) + "?api=systemapi", None),
        ("get", reverse("apps_registry:edit", args=[app.pk]), None),
        ("get", reverse("apps_registry:audit", args=[admin.pk]), None),
        ("get", reverse("apps_registry:tokens", args=[app.pk]), None),
        ("get", reverse("accounts:me"), None),
        # A form's errors: Django's own "This field is required."
        ("post", reverse("apps_registry:add", args=[admin.pk]) + "?api=systemapi", {"name": ""}),
        ("get", reverse("admin:apps_registry_app_changelist"), None),
        ("get", reverse("admin:apps_registry_app_change", args=[app.pk]), None),
        ("get", reverse("admin:jsi18n"), None),
        ("get", "/no-such-page/", None),
    ]


@pytest.mark.django_db
def test_signed_in_pages_read_the_same_with_translation_on(demo, login, make_tokens):
    app = AppFactory(owner=demo["admin"], name="Café, 3 tokens")
    make_tokens(app, 3)
    client = login(demo["admin"])
    for method, url, data in _pages(demo, app):
        off = _read(client, method, url, data)
        with override_settings(USE_I18N=True):
            on = _read(client, method, url, data)
        assert off[0] < 500, url
        assert off == on, url
