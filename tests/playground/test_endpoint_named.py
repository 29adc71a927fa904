"""The playground names the endpoint that actually answered each step (issue 15, item 12): the
URL name, the view and the path the portal's resolver matched in-process."""

import pytest

from playground.client import answered_by
from tests.playground.helpers import follow, register, started_state, step

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_step_names_the_url_view_and_path_that_answered(org, demo, callback):
    org.get("/playground/")
    page = follow(org, register(org, callback, started_state(org)))

    exchanged = step(org, page.context["carry"], "token")
    token = exchanged.context["exchange"]
    me = step(org, exchanged.context["carry"], "me").context["exchange"]
    introspect = step(org, exchanged.context["carry"], "introspect").context["exchange"]

    assert (token.endpoint, token.view, token.path) == (
        "oauth:token",
        "oauth.views.token.Token",
        "/oauth/token.php",
    )
    assert (me.endpoint, me.path) == ("oauth:me", "/uapi/@me")
    assert introspect.endpoint == "oauth:introspect"
    content = exchanged.content.decode()
    assert 'id="step-endpoint">Answered by <code>oauth:token</code>' in content
    assert "<code>/oauth/token.php</code>" in content


def test_a_request_no_view_matched_names_none():
    from django.http import HttpResponse
    from django.test import RequestFactory

    response = HttpResponse(status=404)
    response.inner_request = RequestFactory().get("/nowhere")

    assert answered_by(response) == ("", "", "/nowhere")
