"""portal.speedups.sessions: Django's database sessions with the read compiled once. Whatever
ends a session (signing out, the row removed or expired elsewhere) ends it on the next request."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from portal.speedups.sessions import SessionStore

pytestmark = pytest.mark.django_db


def page(account) -> str:
    return reverse("accounts:detail", args=[account.pk])


def signed_in(client, account) -> str:
    client.force_login(account)
    assert client.get(page(account)).status_code == 200
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sent_to_sign_in(client, account) -> bool:
    response = client.get(page(account))
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_portal_uses_it():
    assert settings.SESSION_ENGINE == "portal.speedups.sessions"


def test_it_reads_what_djangos_store_reads(demo):
    store = DjangoStore()
    store["answer"] = {"n": 42, "text": "é"}
    store.create()
    ours = SessionStore(store.session_key)
    assert ours.load() == DjangoStore(store.session_key).load() == {"answer": {"n": 42, "text": "é"}}
    assert ours.session_key == store.session_key
    row = ours._get_session_from_db()
    expected = Session.objects.get(pk=store.session_key)
    assert (row.session_key, row.session_data, row.expire_date) == (
        expected.session_key,
        expected.session_data,
        expected.expire_date,
    )
    assert not row._state.adding


@pytest.mark.parametrize("key", ["nosuchsessionkeyatall", "x" * 40, "%_\\' OR 1=1 --"])
def test_an_unknown_key_is_an_empty_session_and_forgotten(key):
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None


def test_a_session_removed_elsewhere_ends_at_once(client, demo):
    key = signed_in(client, demo["user"])
    Session.objects.filter(pk=key).delete()
    assert sent_to_sign_in(client, demo["user"])


def test_a_session_expired_in_the_database_ends_at_once(client, demo):
    key = signed_in(client, demo["user"])
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert sent_to_sign_in(client, demo["user"])


def test_signing_out_ends_the_session_and_its_old_cookie(client, demo):
    key = signed_in(client, demo["user"])
    client.post(reverse("logout"))
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert sent_to_sign_in(client, demo["user"])
