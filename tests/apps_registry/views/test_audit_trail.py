"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: the
audit trail, its filters and its CSV."""

import re

import pytest
from django.urls import reverse

from apps_registry.models import App, AuditAction, AuditEvent
from tests.factories import AppFactory
from tests.helpers import add_url, form_data, list_url, plain, text

# --- audit trail ----------------------------------------------------------------------------


def test_audit_trail_shows_who_did_what_to_which_app_when_and_from_where(demo, client):
    owner = demo["user"]
    client.force_login(demo["organization"])
    data = form_data(client.get(add_url(owner)))
    client.post(add_url(owner), data, REMOTE_ADDR="192.0.2.44")
    app = App.objects.get()
    secret = app.client_secret
    client.post(reverse("apps_registry:reveal_secret", args=[app.pk]))
    client.post(reverse("apps_registry:remove", args=[app.pk]))
    other = AppFactory(owner=owner, name="Other")
    client.post(reverse("apps_registry:disable", args=[other.pk]))

    response = client.get(reverse("apps_registry:audit", args=[owner.pk]))
    filtered = client.get(reverse("apps_registry:audit", args=[owner.pk]), {"app": other.client_id})

    content = text(response)
    assert "4 events" in content
    for shown in ("Created", "Revealed the secret", "Removed", "Disabled", "192.0.2.44", "organization"):
        assert shown in content
    assert app.client_id in content  # a removed App keeps its history
    assert secret not in content
    assert "1 event" in text(filtered) and "Calendar Sync</td>" not in text(filtered)


@pytest.mark.parametrize("query", [{"app": "x" * 5000}, {"page": "-1"}, {"page": "9" * 30}, {"app": "'\""}])
def test_audit_trail_survives_nonsense_parameters(query, demo, client):
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:audit", args=[demo["user"].pk]), query)

    assert response.status_code == 200
    assert "0 events" in text(response)


def test_audit_trail_shows_only_the_accounts_own_events(demo, client):
    AppFactory(owner=demo["organization"], name="Parent App")
    client.force_login(demo["organization"])
    parent = App.objects.get()
    client.post(reverse("apps_registry:disable", args=[parent.pk]))
    client.get(list_url(demo["organization"]))  # shows (and so drops) the "disabled" message

    content = text(client.get(reverse("apps_registry:audit", args=[demo["user"].pk])))

    assert "Parent App" not in content
    assert "0 events" in content


def test_audit_trail_details_are_words_and_times_carry_their_time_zone(demo, client, make_tokens, settings):
    owner = demo["user"]
    app = AppFactory(owner=owner, name="Worded")
    make_tokens(app, 3)
    client.force_login(owner)
    edit = reverse("apps_registry:edit", args=[app.pk])
    client.post(
        edit,
        {
            "name": "Worded",
            "homepage": "https://new.example/",
            "email": app.email,
            "redirect_uri": "https://new.example/cb",
            "phone": "+1 555 0100",
        },
    )
    client.post(reverse("apps_registry:revoke_tokens", args=[app.pk]), {"confirmed": "yes"})
    client.post(reverse("apps_registry:regenerate_secret", args=[app.pk]))
    settings.TIME_ZONE = "Europe/Bucharest"

    content = plain(client.get(reverse("apps_registry:audit", args=[owner.pk])))

    assert "Changed homepage, admin phone and redirect URL" in content
    assert "3 access tokens and 3 refresh tokens revoked" in content
    assert "No live token" in content  # regenerating after the revoke
    assert "fields:" not in content and "access_tokens" not in content and "refresh tokens:" not in content
    assert "times in Europe/Bucharest" in content
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d EET", content)


def _audit_rows(demo, client):
    """Events by two actors over three days: a created App, a disabled App, an account edit."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import AccountEvent
    from accounts.services import account_update
    from portal.audit import COMMAND_LINE

    owner = demo["user"]
    client.force_login(demo["organization"])
    client.post(add_url(owner), form_data(client.get(add_url(owner))))
    client.force_login(owner)
    other = AppFactory(owner=owner, name="Other")
    client.post(reverse("apps_registry:disable", args=[other.pk]))
    account_update(actor=owner, account=owner, origin=COMMAND_LINE, phone="+1 555 0199")
    now = timezone.now()
    AuditEvent.objects.filter(action=AuditAction.CREATE).update(created=now - timedelta(days=2))
    AuditEvent.objects.filter(action=AuditAction.DISABLE).update(created=now - timedelta(days=1))
    assert AccountEvent.objects.filter(account=owner).exists()
    return owner, now.date()


def test_audit_trail_filters_by_action_actor_and_dates(demo, client):
    from datetime import timedelta

    owner, today = _audit_rows(demo, client)
    url = reverse("apps_registry:audit", args=[owner.pk])

    def shown(**params):
        return re.findall(r'<td data-label="Did">([^<]+)</td>', text(client.get(url, params)))

    assert shown() == ["Account edited", "Disabled", "Created"]
    assert shown(action="app:disable") == ["Disabled"]
    assert shown(action="account:update") == ["Account edited"]
    assert shown(actor="organization") == ["Created"]
    assert shown(actor="USER") == ["Account edited", "Disabled"]
    assert shown(**{"from": str(today - timedelta(days=1))}) == ["Account edited", "Disabled"]
    assert shown(**{"to": str(today - timedelta(days=1))}) == ["Disabled", "Created"]
    one_day = str(today - timedelta(days=2))
    assert shown(**{"from": one_day, "to": one_day}) == ["Created"]
    assert shown(action="drop table", **{"from": "yesterday"}) == ["Account edited", "Disabled", "Created"]
    page = text(client.get(url, {"actor": "user", "action": "app:disable"}))
    assert '<option value="app:disable" selected>' in page
    assert f'href="/accounts/{owner.pk}/audit.csv?actor=user&action=app%3Adisable"' in page


def test_audit_trail_csv_has_the_filtered_events_in_words_and_no_secret(demo, client):
    import csv as csv_module

    owner, _today = _audit_rows(demo, client)
    app = App.objects.get(name="Calendar Sync")
    client.force_login(demo["provider"])
    url = reverse("apps_registry:audit_csv", args=[owner.pk])

    response = client.get(url)
    filtered = client.get(url, {"actor": "organization"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv_module.reader(b"".join(response.streaming_content).decode().splitlines()))
    assert rows[0] == [
        "when",
        "time zone",
        "who",
        "did",
        "app or account",
        "app id/key",
        "through",
        "from address",
        "details",
    ]
    assert [row[3] for row in rows[1:]] == ["Account edited", "Disabled", "Created"]
    created = rows[3]
    assert created[1] == "UTC" and created[2] == "organization"
    assert created[4:7] == ["Calendar Sync", app.client_id, "Portal"] or created[4:6] == [
        "Calendar Sync",
        app.client_id,
    ]
    assert created[8] == "SystemAPI App"
    assert rows[1][8] == "Changed phone"
    assert app.client_secret not in b"".join(client.get(url).streaming_content).decode()
    assert [row[3] for row in csv_module.reader(b"".join(filtered.streaming_content).decode().splitlines())][
        1:
    ] == ["Created"]


@pytest.mark.parametrize(
    ("actor", "target"), [("user", "organization"), ("organization2", "user"), ("user2", "user")]
)
def test_audit_trail_csv_out_of_reach_is_404(actor, target, demo, client):
    AppFactory(owner=demo[target])
    client.force_login(demo[actor])

    response = client.get(reverse("apps_registry:audit_csv", args=[demo[target].pk]))

    assert response.status_code == 404


def test_audit_trail_csv_keeps_a_formula_from_running(demo, client):
    owner = demo["user"]
    app = AppFactory(owner=owner, name='=HYPERLINK("http://evil.example")')
    client.force_login(owner)
    client.post(reverse("apps_registry:disable", args=[app.pk]))

    body = b"".join(
        client.get(reverse("apps_registry:audit_csv", args=[owner.pk])).streaming_content
    ).decode()

    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


@pytest.mark.parametrize(
    "name",
    ["x;=1+1;@SUM(1)", "x,=1+1", "x; +1", "x|@SUM(1)", "x;-2+3", "=1+1", "x;\uff1d1+1"],
)
def test_audit_trail_csv_neutralises_a_formula_after_any_separator(demo, client, name):
    """Issue 27: a spreadsheet whose list separator is `;` (or tab, or `|`) splits an
    unquoted cell there; every cell is quoted, and a formula's first character at the start
    or after any separator gets a `'` before it, so no cell starts a formula however the
    line is split."""
    import csv as csv_module

    owner = demo["user"]
    app = AppFactory(owner=owner, name=name)
    client.force_login(owner)
    client.post(reverse("apps_registry:disable", args=[app.pk]))

    body = b"".join(
        client.get(reverse("apps_registry:audit_csv", args=[owner.pk])).streaming_content
    ).decode()

    lines = body.splitlines()
    for line in lines:  # every cell quoted: the line is its cells written with QUOTE_ALL
        cells = next(csv_module.reader([line]))
        assert line == ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    for separator in (",", ";", "\t", "|"):
        for line in lines:
            for cell in line.split(separator):
                cell = cell.strip().lstrip('"').lstrip()
                assert cell[:1] not in ("=", "+", "-", "@", "\uff1d"), (separator, line)
    [row] = [row for row in csv_module.reader(lines) if row[3] == "Disabled"]
    assert row[4].replace("'", "") == name  # the name, readable, each formula start marked
