"""Authorized Apps (design §8): the App list's counts of live tokens and authorized
accounts, and sorting by them."""

import re

import pytest

from apps_registry import services
from apps_registry.models import AccessToken
from apps_registry.services import COMMAND_LINE
from tests.apps_registry.authorized.helpers import grant
from tests.factories import AppFactory
from tests.helpers import list_url, text

pytestmark = pytest.mark.django_db


# --- counts in the App list and on the App page ----------------------------------------------


def test_the_app_list_counts_live_tokens_and_authorized_accounts(client, demo, make_tokens, expired_token):
    owner = demo["organization"]
    app = AppFactory(owner=owner, name="Counted")
    AppFactory(owner=owner, name="Quiet")
    for account in (demo["user"], demo["user2"]):
        grant(app, account, make_tokens, tokens=2)
    expired_token(app, user=demo["user"])
    make_tokens(app, 1)  # the owner's own (client_credentials-like): a token, not a grant
    client.force_login(owner)

    response = client.get(list_url(owner), {"o": "-tokens"})

    rows = text(response).split('<tbody id="changelist-rows" tabindex="-1">')[1].split("</tr>")
    assert "Counted" in rows[0]  # sorted by live tokens, most first
    assert '<td class="col-tokens text-end d-none d-sm-table-cell">5</td>' in rows[0]
    assert '<td class="col-authorized text-end d-none d-sm-table-cell">2</td>' in rows[0]
    assert '<td class="col-tokens text-end d-none d-sm-table-cell">0</td>' in rows[1]
    page = client.get(app.get_absolute_url())
    assert 'id="authorized-accounts">2<' in text(page)


def test_sorting_by_authorized_accounts(client, demo, make_tokens):
    owner = demo["organization"]
    few, many = AppFactory(owner=owner, name="A few"), AppFactory(owner=owner, name="B many")
    grant(few, demo["user"], make_tokens)
    for account in (demo["user"], demo["user2"], demo["organization2"]):
        grant(many, account, make_tokens)
    client.force_login(owner)

    ascending = text(client.get(list_url(owner), {"o": "authorized"}))
    descending = text(client.get(list_url(owner), {"o": "-authorized"}))

    assert ascending.index("A few") < ascending.index("B many")
    assert descending.index("B many") < descending.index("A few")


def tokens_cell(app_name: str, page: str) -> str:
    """The Live tokens and Authorized accounts cells of the App's row on a list page."""
    row = next(
        row
        for row in page.split('<tbody id="changelist-rows" tabindex="-1">')[1].split("</tr>")
        if f">{app_name}<" in row
    )
    tokens = row.split('<td class="col-tokens text-end d-none d-sm-table-cell">')[1].split("<")[0]
    authorized = row.split('<td class="col-authorized text-end d-none d-sm-table-cell">')[1].split("<")[0]
    return f"{tokens} tokens, {authorized} accounts"


def test_the_counts_are_right_on_the_second_page(client, demo, make_tokens):
    owner = demo["organization"]
    for i in range(55):
        AppFactory(owner=owner, name=f"App {i:02d}")
    late = AppFactory(owner=owner, name="Zulu")  # last by name: page 2
    grant(late, demo["user"], make_tokens, tokens=3)
    grant(late, demo["user2"], make_tokens, tokens=1)
    client.force_login(owner)

    second = text(client.get(list_url(owner), {"page": "2"}))

    assert tokens_cell("Zulu", second) == "4 tokens, 2 accounts"
    assert tokens_cell("App 54", second) == "0 tokens, 0 accounts"


def test_the_counts_leave_out_expired_and_removed_secrets_tokens(client, demo, make_tokens, expired_token):
    owner = demo["organization"]
    app = AppFactory(owner=owner, name="Rotated")
    old = app.live_secrets[0]
    make_tokens(app, 2)  # minted with the old secret
    app, _ = services.app_add_secret(actor=owner, app=app, origin=COMMAND_LINE)
    make_tokens(app, 3)  # with the new one
    make_tokens(app, 1, secret=None)  # made outside the token endpoint: counted
    expired_token(app)
    services.app_remove_secret(actor=owner, app=app, secret_id=old.pk, origin=COMMAND_LINE)
    client.force_login(owner)

    page = text(client.get(list_url(owner)))
    by_tokens = text(client.get(list_url(owner), {"o": "-tokens"}))

    assert AccessToken.all_objects.filter(application=app).count() == 7  # the rows are still there
    assert tokens_cell("Rotated", page) == "4 tokens, 0 accounts"
    assert tokens_cell("Rotated", by_tokens) == "4 tokens, 0 accounts"
    assert ">4</a>" in text(client.get(app.get_absolute_url()))  # the App page's count agrees


def test_sorting_by_live_tokens_puts_the_app_with_most_first_across_pages(client, demo, make_tokens):
    owner = demo["organization"]
    names = {}
    for i in range(60):
        app = AppFactory(owner=owner, name=f"App {i:02d}")
        count = (i * 37) % 61  # every count once, in no order of name or creation
        make_tokens(app, count)
        names[app.name] = count
    client.force_login(owner)

    def listed(params):
        pages = [text(client.get(list_url(owner), {**params, "page": str(n)})) for n in (1, 2)]
        return [name for page in pages for name in re.findall(r'id="app-\d+"[^>]*>([^<]+)</a>', page)]

    descending, ascending = listed({"o": "-tokens"}), listed({"o": "tokens"})

    most = max(names, key=names.get)
    assert descending[0] == most
    assert descending == sorted(names, key=lambda name: -names[name])
    assert ascending == descending[::-1]
    assert len(descending) == 60  # 50 on the first page, 10 on the second
