"""Sign-in throttling (django-axes) on every sign-in form: the portal's, the Django admin's and
the two consent pages. Five failures for one (account, address) pair lock that pair out for the
cool-off; while locked the answer is 429, the same for every account name, and costs no
password hashing."""

from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings
from django.utils import timezone

from accounts.signin import lockout
from apps_registry.models import App
from tests.helpers import query

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
LOCKED = "Too many failed sign-ins for this account from your address. Try again in 15 minutes."
WRONG = "Please enter a correct username and password"


def sign_in(client, username, password, url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def fail(client, username, times, url=LOGIN, **extra):
    """`times` failed sign-ins; the answers."""
    return [sign_in(client, username, "wrong", url, **extra) for _ in range(times)]


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def cool_off_passes():
    """Move every recorded failure back past the 15-minute cool-off."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))


def test_four_failures_leave_the_account_open(client, demo):
    answers = fail(client, "organization", 4)
    assert [answer.status_code for answer in answers] == [200] * 4
    assert all(WRONG in answer.content.decode() for answer in answers)
    response = sign_in(client, "organization", "demo")
    assert response.status_code == 302
    assert signed_in(client)


def test_the_fifth_failure_locks_out_even_the_right_password(client, demo):
    answers = fail(client, "organization", 5)
    assert answers[-1].status_code == 429
    assert LOCKED in answers[-1].content.decode()

    response = sign_in(client, "organization", "demo")
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert WRONG not in html
    # The sign-in form is still there, to try again after the cool-off.
    assert 'name="password"' in html
    assert not signed_in(client)


def test_unknown_and_known_accounts_get_the_same_answers(client, demo):
    known = fail(client, "organization", 6)
    unknown = fail(client, "nobody-here", 6)
    for ours, theirs in zip(known, unknown, strict=True):
        assert ours.status_code == theirs.status_code
        assert ours.context["form"].errors == theirs.context["form"].errors


def spy(cls, name):
    """Count calls to a method of `cls` while still running it."""
    return mock.patch.object(cls, name, autospec=True, side_effect=getattr(cls, name))


@pytest.mark.parametrize("username", ["organization", "nobody-here"])
def test_no_password_is_hashed_while_locked_out(client, demo, username):
    with spy(MD5PasswordHasher, "verify") as verify, spy(MD5PasswordHasher, "encode") as encode:
        fail(client, username, 5)
        # Each failure before the lock hashed the password (the spies see it) ...
        assert verify.call_count + encode.call_count >= 4
        verify.reset_mock()
        encode.reset_mock()
        sign_in(client, username, "demo")
        fail(client, username, 3)
        # ... and nothing is hashed while the pair is locked out.
        assert verify.call_count == 0
        assert encode.call_count == 0


def test_the_lock_is_per_account_and_address(client, demo):
    fail(client, "organization", 5)
    assert sign_in(client, "organization", "demo").status_code == 429
    # The same address may still sign in to another account ...
    assert sign_in(client, "user", "demo").status_code == 302
    client.logout()
    # ... and the same account from another address.
    assert sign_in(client, "organization", "demo", REMOTE_ADDR="192.0.2.44").status_code == 302


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_the_proxy_the_lock_follows_the_clients_address_not_the_proxys(client, demo):
    fail(client, "organization", 5, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert sign_in(client, "organization", "demo", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another client behind the same proxy (same REMOTE_ADDR) is not locked out.
    assert sign_in(client, "organization", "demo", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "203.0.113.7"
    # A forged first entry does not move the lock elsewhere: the proxy's last entry counts.
    client.logout()
    forged = sign_in(client, "organization", "demo", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")
    assert forged.status_code == 429


def test_a_spoofed_forwarded_for_neither_escapes_the_lock_nor_moves_it(client, demo):
    """No trusted proxy (the default): the lock counts the peer's real address. A client
    changing X-Forwarded-For on every try is still locked out, and cannot lock out a victim's
    address by writing it there."""
    attacker = {"REMOTE_ADDR": "192.0.2.66"}
    for i in range(5):
        sign_in(client, "organization", "wrong", **attacker, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "192.0.2.66"
    escaped = sign_in(client, "organization", "demo", **attacker, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert escaped.status_code == 429
    # The victim, at the address the attacker wrote, signs in.
    assert sign_in(client, "organization", "demo", REMOTE_ADDR="198.51.100.0").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, demo):
    fail(client, "organization", 5)
    assert sign_in(client, "organization", "demo").status_code == 429
    cool_off_passes()
    assert sign_in(client, "organization", "demo").status_code == 302
    assert signed_in(client)


def test_a_success_resets_the_count(client, demo):
    fail(client, "organization", 4)
    assert sign_in(client, "organization", "demo").status_code == 302
    client.logout()
    answers = fail(client, "organization", 4)
    assert [answer.status_code for answer in answers] == [200] * 4


def test_no_password_or_csrf_token_is_kept_with_the_failures(client, demo, caplog):
    fields = {"username": "organization", "password": "hunter2-typed", "csrfmiddlewaretoken": "tok3n"}
    client.post(LOGIN, fields)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "organization"
    assert "hunter2-typed" not in attempt.post_data
    assert "tok3n" not in attempt.post_data
    assert "hunter2-typed" not in caplog.text


def test_the_admin_sign_in_is_locked_out_too(client, demo):
    answers = fail(client, "admin", 5, ADMIN_LOGIN)
    assert answers[0].status_code == 200
    response = sign_in(client, "admin", "demo", ADMIN_LOGIN)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not signed_in(client)


def test_failures_count_across_the_sign_in_forms(client, demo):
    """The portal's and the admin's forms share the count: switching forms gains nothing."""
    fail(client, "admin", 3)
    fail(client, "admin", 2, ADMIN_LOGIN)
    assert sign_in(client, "admin", "demo").status_code == 429


# --- the consent pages ------------------------------------------------------------------

REGISTER_PARAMS = {
    "name": "Locked App",
    "homepage": "https://apps.example/",
    "email": "dev@apps.example",
    "redirect_uri": "https://apps.example/cb",
    "state": "s-1",
}


def register_decide(client, blob, password):
    return client.post(
        "/oauth/register/consent/",
        {"request": blob, "action": "register", "username": "organization", "password": password},
    )


def test_register_consent_locked_out_creates_nothing_and_keeps_the_request(client, demo):
    page = client.get("/oauth/register.php", REGISTER_PARAMS)
    blob = page.context["blob"]
    answers = [register_decide(client, blob, "wrong") for _ in range(5)]
    assert [answer.status_code for answer in answers] == [400] * 4 + [429]

    locked = register_decide(client, blob, "demo")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert LOCKED in html
    assert "Locked App" in html
    assert locked.context["blob"] == blob
    assert locked["Cache-Control"].count("no-store") == 1
    assert not App.objects.exists()
    assert not signed_in(client)

    # The same consent page, after the cool-off, registers the App.
    cool_off_passes()
    response = register_decide(client, locked.context["blob"], "demo")
    assert response.status_code == 302
    assert query(response["Location"])["client_id"] == [App.objects.get(name="Locked App").client_id]


def test_authorize_consent_locked_out_issues_no_code_and_keeps_the_request(client, demo_apps):
    app = demo_apps["organization"]
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    page = client.get("/oauth/authorize.php", params)
    blob = page.context["blob"]

    def allow(password):
        fields = {"request": blob, "action": "allow", "username": "organization", "password": password}
        return client.post("/oauth/authorize.php", fields)

    answers = [allow("wrong") for _ in range(5)]
    assert [answer.status_code for answer in answers] == [400] * 4 + [429]
    locked = allow("demo")
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert locked.context["blob"] == blob
    assert not signed_in(client)

    cool_off_passes()
    response = allow("demo")
    assert response.status_code == 302
    assert "code" in query(response["Location"])


def test_a_lockout_with_no_sign_in_page_to_show_gets_the_portals_429_page(rf, db):
    """Any other caller of authenticate() (no HTML form to re-show) still gets a clear page."""
    response = lockout(rf.post("/somewhere/"), None, {"username": "organization"})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_a_username_longer_than_any_account_is_a_form_error_not_a_500(client, demo, url):
    response = sign_in(client, "x" * 300, "wrong", url)
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
