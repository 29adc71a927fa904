"""portal.http.sensitive: an answer that carries a secret or a code gets exactly the headers
Django's add_never_cache_headers gives it, whether or not it had cache headers of its own."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.cache import add_never_cache_headers

from portal.http import sensitive


def fresh_answers() -> list[HttpResponse]:
    return [
        JsonResponse({"error": "invalid_client"}, status=401),
        HttpResponseRedirect("/x?code=y"),
        HttpResponse(status=204),
    ]


def with_cache_headers_of_their_own() -> list[HttpResponse]:
    public, expiring = HttpResponse(), HttpResponse()
    public["Cache-Control"] = "public, max-age=60"
    expiring["Expires"] = "Thu, 01 Jan 2037 00:00:00 GMT"
    return [public, expiring]


@pytest.mark.parametrize("answers", [fresh_answers, with_cache_headers_of_their_own])
def test_the_headers_are_djangos_never_cache_headers(answers):
    for ours, djangos in zip(answers(), answers(), strict=True):
        sensitive(ours)
        add_never_cache_headers(djangos)
        assert ours["Cache-Control"] == djangos["Cache-Control"]
        assert "no-store" in ours["Cache-Control"] and "public" not in ours["Cache-Control"]
        expires, expected = parsedate_to_datetime(ours["Expires"]), parsedate_to_datetime(djangos["Expires"])
        assert abs((expires - expected).total_seconds()) <= 1
        assert ours["Referrer-Policy"] == "no-referrer"
        assert set(ours.headers) == {*djangos.headers, "Referrer-Policy"}


def test_a_page_may_ask_for_another_referrer_policy():
    assert sensitive(HttpResponse(), referrer_policy="same-origin")["Referrer-Policy"] == "same-origin"
