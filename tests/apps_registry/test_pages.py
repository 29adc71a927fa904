"""The pager's links (apps_registry.templatetags.pages) say what {% querystring page=n %} says,
whatever the query around `page`: its order, repeated and empty parameters, characters to
escape, a `page` given twice."""

from html import escape

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory

from apps_registry.templatetags.pages import page_urls

QUERYSTRING = Template("{% querystring page=number %}")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=3",
        "api=systemapi&q=Bulk&trusted=0",
        "api=systemapi&page=3&q=Bulk&trusted=0",
        "page=3&api=unifiedapi",
        "q=a+b%26c%3D%C3%A9%E2%80%9C&o=-created&page=2&page=5&created=year",
        "q=&q=x&api=systemapi",
        "o=name&page=&api=systemapi",
    ],
)
@pytest.mark.parametrize("number", [1, 7, 20])
def test_a_pages_link_is_what_querystring_writes(query, number):
    request = RequestFactory().get(f"/accounts/1/apps/?{query}")
    expected = QUERYSTRING.render(RequestContext(request, {"number": number}))
    assert escape(page_urls(request.GET)(number)) == expected  # escaped, as the pager writes it
