"""portal.speedups.urls: reverse() remembered per process gives Django's URL, or Django's
error, in every case a page meets; {% url %} renders as Django's own tag does; a changed
URLconf or script prefix is never answered from memory; and urlencode writes urllib's query
string, remembering only short names and values."""

import pytest
from django.http import HttpResponse
from django.template import Context, Engine, RequestContext
from django.test import override_settings
from django.urls import NoReverseMatch, include, path, set_script_prefix
from django.urls import reverse as django_reverse

from portal.speedups import urls
from portal.speedups.urls import reverse


def _view(request, **kwargs):
    return HttpResponse()


_shop = [path("item/<int:pk>/", _view, name="item"), path("tag/<str:slug>/", _view, name="tag")]

# This module is the URLconf of the tests below: a plain name, int and str arguments, and one
# application mounted twice (its current instance picks the URL).
urlpatterns = [
    path("", _view, name="home"),
    path("account/<int:pk>/", _view, name="account"),
    path("shop/", include((_shop, "shop"), namespace="shop")),
    path("eu/shop/", include((_shop, "shop"), namespace="shop-eu")),
]


class Elsewhere:
    """Another URLconf: the same names at other paths."""

    urlpatterns = [path("elsewhere/", _view, name="home"), path("elsewhere/<int:pk>/", _view, name="account")]


pytestmark = pytest.mark.urls(__name__)

CASES = [
    ("home", (), {}, None),
    ("account", (7,), {}, None),
    ("account", (), {"pk": 7}, None),
    ("shop:item", (3,), {}, None),
    ("shop:item", (3,), {}, "shop-eu"),
    ("shop:tag", ("a&b c é",), {}, None),
    ("shop:tag", (), {"slug": "x?y#z"}, "shop-eu"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "current_app"), CASES)
def test_the_url_is_django_s_the_first_time_and_after(name, args, kwargs, current_app):
    expected = django_reverse(name, args=args, kwargs=kwargs, current_app=current_app)
    for _ in range(2):
        assert reverse(name, args=list(args), kwargs=dict(kwargs), current_app=current_app) == expected


def test_a_name_that_does_not_reverse_raises_as_django_s_each_time():
    for name, args in (("nowhere", ()), ("account", ("not a number",)), ("shop:nowhere", ())):
        for _ in range(2):
            with pytest.raises(NoReverseMatch):
                reverse(name, args=args)


def test_a_page_s_second_url_is_not_worked_out_again(monkeypatch):
    calls = []
    monkeypatch.setattr(urls, "django_reverse", lambda *a, **k: calls.append(a) or django_reverse(*a, **k))
    urls._remembered.cache_clear()
    assert reverse("account", args=[41]) == reverse("account", args=[41]) == "/account/41/"
    assert len(calls) == 1


def test_a_model_instance_or_a_query_is_reversed_each_time(monkeypatch):
    class Pk(int):
        """An int that writes itself otherwise: only plain values may be remembered."""

        def __str__(self):
            return "9"

    calls = []
    monkeypatch.setattr(urls, "django_reverse", lambda *a, **k: calls.append(a) or django_reverse(*a, **k))
    urls._remembered.cache_clear()
    assert reverse("account", args=[Pk(1)]) == "/account/9/"
    assert reverse("home", query={"a": "1"}) == "/?a=1"
    assert len(calls) == 2


def test_another_urlconf_or_script_prefix_is_never_answered_from_memory():
    assert reverse("account", args=[5]) == "/account/5/"
    with override_settings(ROOT_URLCONF=Elsewhere):
        assert reverse("account", args=[5]) == "/elsewhere/5/"
    set_script_prefix("/portal/")
    try:
        assert reverse("account", args=[5]) == "/portal/account/5/"
    finally:
        set_script_prefix("/")
    assert reverse("account", args=[5]) == "/account/5/"


TEMPLATES = [
    "{% url 'home' %}",
    "{% url 'account' pk %}",
    "{% url 'account' pk=pk %}",
    "{% url name pk %}",
    "{% url 'shop:item' pk %}",
    "{% url 'shop:tag' slug %}",
    "{% url 'shop:tag' slug as there %}[{{ there }}]",
    "{% url 'nowhere' as there %}[{{ there }}]",
    "{% autoescape off %}{% url 'shop:tag' slug %}{% endautoescape %}",
]


def _engines():
    return Engine(), Engine(builtins=["portal.speedups.urls"])


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("current_app", [None, "shop-eu"])
def test_the_url_tag_renders_as_django_s(source, current_app, rf):
    values = {"pk": 12, "name": "account", "slug": "a&b <c>"}
    rendered = []
    for engine in _engines():
        request = rf.get("/")
        if current_app:
            request.current_app = current_app
        rendered.append(engine.from_string(source).render(RequestContext(request, values)))
    assert rendered[0] == rendered[1]
    assert rendered[1]  # every template above writes something


def test_the_url_tag_raises_as_django_s_for_a_name_that_does_not_reverse():
    for engine in _engines():
        with pytest.raises(NoReverseMatch):
            engine.from_string("{% url 'nowhere' %}").render(Context())


def test_the_portal_s_templates_use_it():
    from django.template import engines

    assert "portal.speedups.urls" in engines["django"].engine.builtins


QUERIES = [
    [],
    [("api", "systemapi"), ("o", "-name")],
    [("q", "a b&c=d+e/f?g#h"), ("q", "again"), ("", ""), ("créé", "日本 €"), ("%41", "~._-")],
    [("q", "x" * urls.QUOTED_LENGTH), ("q", "é " * urls.QUOTED_LENGTH)],
]


@pytest.mark.parametrize("pairs", QUERIES)
def test_a_query_string_is_urllib_s_the_first_time_and_after(pairs):
    from urllib.parse import urlencode

    urls._quoted.cache_clear()
    assert urls.urlencode(pairs) == urls.urlencode(pairs) == urlencode(pairs)


def test_only_short_names_and_values_are_remembered():
    urls._quoted.cache_clear()
    urls.urlencode([("q", "x" * (urls.QUOTED_LENGTH + 1)), ("api", "systemapi")])
    assert urls._quoted.cache_info().currsize == 3  # "q", "api" and "systemapi": not the search
