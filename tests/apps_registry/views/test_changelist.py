"""The App management pages (design §4) as the test client sees them: with htmx
(`HX-Request`) and without JavaScript, for every persona, on good and bad paths: the
changelist (rows, search, sort, pages, tabs) and its queries, whatever the number of Apps."""

import json
import re
from datetime import UTC

import pytest
from django.db import connection
from django.urls import reverse

from apps_registry.models import Api, App
from tests.apps_registry.views.helpers import give_tokens_and_grants, make_apps
from tests.factories import AppFactory
from tests.helpers import HTMX, add_url, list_url, plain, text

# --- the changelist -------------------------------------------------------------------------


def test_changelist_shows_name_link_key_trusted_enabled_and_created(demo, client):
    app = AppFactory(owner=demo["organization"], name="Billing Sync", trusted=True)
    client.force_login(demo["organization"])

    content = text(client.get(list_url(demo["organization"])))

    edit = reverse("apps_registry:edit", args=[app.pk])
    assert re.search(rf'<a href="{edit}" id="app-{app.pk}" hx-get="{edit}"[^>]*>Billing Sync</a>', content)
    assert app.client_id in content
    assert '<td class="col-trusted d-none d-xxl-table-cell">Yes</td>' in content
    assert app.created.strftime("%Y-%m-%d") in content


def test_changelist_shows_an_https_image_and_a_placeholder_otherwise(demo, client):
    AppFactory(owner=demo["user"], name="Safe", image_uri="https://img.example/logo.png")
    AppFactory(owner=demo["user"], name="Plain", image_uri="http://img.example/plain.png")
    AppFactory(owner=demo["user"], name="None")
    client.force_login(demo["user"])

    content = text(client.get(list_url(demo["user"])))

    assert 'src="https://img.example/logo.png"' in content
    assert "http://img.example/plain.png" not in content
    assert content.count('class="app-image-placeholder"') == 2


def test_changelist_searches_by_name_or_key(demo, client):
    one = AppFactory(owner=demo["organization"], name="Calendar Sync")
    two = AppFactory(owner=demo["organization"], name="Billing")
    client.force_login(demo["organization"])
    url = list_url(demo["organization"])

    by_name = text(client.get(url, {"q": "calendar"}))
    by_key = text(client.get(url, {"q": two.client_id[4:20]}))

    assert "Calendar Sync" in by_name and "Billing" not in by_name
    assert "1 App matching" in by_name
    assert "Billing" in by_key and "Calendar Sync" not in by_key
    assert one.client_id not in by_key


def test_changelist_sorts_by_a_column_both_ways(demo, client):
    for name in ["Bravo", "Alpha", "Charlie"]:
        AppFactory(owner=demo["user"], name=name)
    client.force_login(demo["user"])
    url = list_url(demo["user"])

    def names(order):
        return re.findall(r'<a href="/apps/\d+/"[^>]*>(\w+)</a>', text(client.get(url, {"o": order})))

    assert names("name") == ["Alpha", "Bravo", "Charlie"]
    assert names("-name") == ["Charlie", "Bravo", "Alpha"]
    assert names("-created") == ["Charlie", "Alpha", "Bravo"]
    assert names("bogus;drop") == ["Alpha", "Bravo", "Charlie"]
    assert 'aria-sort="descending"' in text(client.get(url, {"o": "-name"}))


def test_changelist_paginates_and_counts(demo, client):
    for i in range(55):
        AppFactory(owner=demo["user"], name=f"App {i:02d}")
    client.force_login(demo["user"])
    url = list_url(demo["user"])

    first = text(client.get(url))
    second = text(client.get(url, {"page": 2}))
    nonsense = client.get(url, {"page": "x'"})

    assert "55 Apps" in first and "Page 1 of 2" in first
    assert "App 00" in first and "App 54" not in first
    assert "App 54" in second and "App 00" not in second
    assert nonsense.status_code == 200


def test_changelist_htmx_request_gets_the_table_fragment_only(demo, client):
    AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Call Recorder")
    client.force_login(demo["organization"])

    response = client.get(list_url(demo["organization"], Api.UNIFIEDAPI), headers=HTMX)

    content = text(response)
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="changelist"')
    assert "Call Recorder" in content
    assert 'hx-get="?api=systemapi"' in content  # the tabs are links htmx enhances
    assert "HX-Request" in response["Vary"]


def test_changelist_history_restore_gets_the_whole_page(demo, client):
    client.force_login(demo["organization"])

    response = client.get(
        list_url(demo["organization"]), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    assert "<html" in text(response)


def test_changelist_offers_add_and_audit_links_and_service_provider_unifiedapi_offers_no_add(demo, client):
    client.force_login(demo["provider"])

    system = text(client.get(list_url(demo["provider"])))
    unified = text(client.get(list_url(demo["provider"], Api.UNIFIEDAPI)))

    assert f'href="{add_url(demo["provider"])}"' in system
    assert "Add App" not in unified
    assert "/apps/add/" not in unified
    assert "Service Provider accounts cannot own UnifiedAPI Apps." in unified
    assert reverse("apps_registry:audit", args=[demo["provider"].pk]) in system


def test_account_home_page_links_to_the_audit_trail(demo, client):
    client.force_login(demo["organization"])

    content = text(client.get(reverse("accounts:detail", args=[demo["user"].pk])))

    assert reverse("apps_registry:audit", args=[demo["user"].pk]) in content


def test_changelist_rows_escape_what_the_apps_say_and_link_to_each_app(demo, client):
    """The rows are written by the view, not by the template engine (make bench, P4): every
    value must still be escaped, and each row still links to its App."""
    owner = demo["organization"]
    shown = AppFactory(
        owner=owner,
        name="<b>Bold</b> & \"quoted\" 'name'",
        image_uri="https://img.example/logo.png?size=1&dark=1",
    )
    hidden_image = AppFactory(owner=owner, name="Plain image", image_uri="http://img.example/logo.png")
    disabled = AppFactory(owner=owner, name="Switched off", enabled=False, trusted=True)
    client.force_login(demo["provider"])

    response = client.get(list_url(owner))

    html = response.content.decode()
    assert "<b>Bold</b>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot; &#x27;name&#x27;" in html
    assert 'src="https://img.example/logo.png?size=1&amp;dark=1"' in html
    assert "http://img.example/logo.png" not in html
    for app in (shown, hidden_image, disabled):
        assert f'href="{reverse("apps_registry:edit", args=[app.pk])}"' in html
        assert f'name="app" value="{app.pk}"' in html
    row = re.search(r"<tr>(?:(?!</tr>).)*Switched off.*?</tr>", html, re.S).group(0)
    assert '<span class="badge text-bg-warning">No</span>' in row
    assert '<td class="col-trusted d-none d-xxl-table-cell">Yes</td>' in row  # trusted
    created = disabled.created.astimezone(UTC)
    assert f'<time datetime="{created.isoformat()}">{created:%Y-%m-%d %H:%M}</time>' in row


def test_changelist_rows_show_a_description_excerpt_to_tell_twins_apart(demo, client):
    owner = demo["user"]
    AppFactory(owner=owner, name="Twin", description="Syncs the sales calendar " + "x" * 200)
    AppFactory(owner=owner, name="Twin", description="Sends invoices")
    client.force_login(owner)

    page = text(client.get(list_url(owner)))

    assert '<div class="small text-body-secondary app-description">Sends invoices</div>' in page
    assert "Syncs the sales calendar " + "x" * 54 + "…" in page


def test_tabs_count_the_accounts_apps_against_the_limit_and_add_says_when_it_is_reached(
    demo, client, settings
):
    owner = demo["organization"]
    settings.APP_LIMIT_PER_ACCOUNT = 2
    AppFactory(owner=owner, api=Api.SYSTEMAPI)
    client.force_login(owner)

    below = client.get(list_url(owner))
    AppFactory(owner=owner, api=Api.UNIFIEDAPI)
    at_limit = client.get(list_url(owner))

    assert "1 of 2 Apps in this account" in plain(below)
    assert 'id="add-app"' in text(below)
    assert "2 of 2 Apps in this account" in plain(at_limit)
    assert 'id="add-app"' not in text(at_limit)
    assert "This account owns 2 Apps, the most it may: remove one to add another." in plain(at_limit)
    assert re.search(r"<button[^>]*disabled[^>]*>Add App</button>", text(at_limit))


# --- performance ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "Bulk", "o": "-created", "page": "2"},
        {"trusted": "0", "enabled": "1", "created": "year", "page": "3"},
    ],
)
def test_changelist_queries_do_not_grow_with_the_number_of_apps(
    count, params, demo, client, django_assert_max_num_queries
):
    owner = demo["organization"]
    make_apps(owner, count)
    give_tokens_and_grants(owner, demo["user"])
    client.force_login(demo["provider"])

    # session, account, the account shown, the facet counts, the page's rows with their counts
    with django_assert_max_num_queries(5) as captured:
        response = client.get(list_url(owner), params)

    assert response.status_code == 200
    assert f"{count} Apps" in text(response)
    print(f"changelist with {count} Apps {params}: {len(captured)} queries")


def test_a_pages_rows_and_their_counts_are_one_statement(demo, client):
    """The live tokens and the authorized accounts of the page's Apps are read with its rows
    (selectors/changelist.py, _rows_query), after the session, the account signed in, the
    account shown and the facet counts, each needing what the one before read."""
    from django.test.utils import CaptureQueriesContext

    owner = demo["organization"]
    make_apps(owner, 60)
    give_tokens_and_grants(owner, demo["user"])
    client.force_login(demo["provider"])

    with CaptureQueriesContext(connection) as captured:
        response = client.get(list_url(owner))
    assert response.status_code == 200 and "60 Apps" in text(response)
    assert len(captured) == 5
    rows = captured[-1]["sql"]
    assert "apps_registry_accesstoken" in rows and "apps_registry_appauthorization" in rows


def _plan_nodes(plan):
    """Every node of PostgreSQL's EXPLAIN (FORMAT JSON) answer (parsed or not), top down."""
    nodes = [(json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        yield node
        nodes.extend(node.get("Plans", []))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize("order", ["name", "-created", "key"])
def test_on_postgresql_a_page_counts_for_its_own_apps_alone(order, demo):
    """PostgreSQL works out the counts, subqueries of the select list, after it has sorted
    and cut the page: 50 times for a page of 50, not once per App of the tab."""
    from django.utils import timezone

    from apps_registry.selectors.changelist import _rows_query

    owner = demo["organization"]
    make_apps(owner, 60)
    rows = _rows_query((order, (), False, None, 0, 50), owner=owner.pk, api=Api.SYSTEMAPI, now=timezone.now())
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]

    subplans = [node for node in _plan_nodes(plan) if node.get("Parent Relationship") == "SubPlan"]
    loops = [node["Actual Loops"] for node in subplans]
    assert len(loops) >= 2 and set(loops) <= {50, 0}, loops  # a count's, and its secrets' (0: none)
    assert 50 in loops


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's generic plans")
@pytest.mark.django_db(transaction=True)  # VACUUM: the visibility map autovacuum keeps
def test_on_postgresql_a_page_of_a_big_account_reads_its_own_apps_alone(demo):
    """The rows statement is prepared, so PostgreSQL plans it once for every account, from the
    average one (config/environment.py). Among many accounts of a few Apps, that plan sorted
    all of the big account's Apps to show 50 (make bench, S-P4); sorted by name, the page's
    Apps come in order from app_owner_api_name_id: 50 read, however many the account has."""
    from django.utils import timezone

    from apps_registry.selectors.changelist import _rows_query
    from tests.factories import OrganizationFactory

    big = demo["organization"]
    make_apps(big, 400)
    for organization in OrganizationFactory.create_batch(200, parent=demo["provider"]):
        make_apps(organization, 2)
    rows = _rows_query(("name", (), False, None, 0, 50), owner=big.pk, api=Api.SYSTEMAPI, now=timezone.now())
    sql, params = rows.query.sql_with_params()
    placeholders = iter(range(1, len(params) + 1))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE apps_registry_app")
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute("PREPARE page AS " + re.sub("%s", lambda _: f"${next(placeholders)}", sql))
        values = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page({values})", params)
        plan = cursor.fetchone()[0]
        cursor.execute("DEALLOCATE page; RESET plan_cache_mode")

    read = [
        (node["Node Type"], node.get("Index Name"), node["Actual Rows"])
        for node in _plan_nodes(plan)
        if node.get("Relation Name") == "apps_registry_app"
    ]
    assert max(rows for _type, _index, rows in read) == 50, read
    assert any(index == "app_owner_api_name_id" for _type, index, _rows in read), read


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_on_postgresql_the_pages_statements_are_planned_once_per_connection(demo, client):
    """Each prepared statement of the page keeps one generic plan (plan_cache_mode in
    config/environment.py). Left to choose, PostgreSQL planned the page's live-token count
    afresh at every run: a custom plan for its Apps cost 0.1 ms, running it 0.015 ms."""
    owner = demo["organization"]
    make_apps(owner, 60)
    give_tokens_and_grants(owner, demo["user"])
    client.force_login(demo["provider"])
    for _ in range(8):  # past PostgreSQL's five custom plans before it weighs a generic one
        assert client.get(list_url(owner)).status_code == 200

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        plans = cursor.fetchall()
    assert any("apps_registry_accesstoken" in statement for statement, _generic, _custom in plans)
    assert [(statement[:60], custom) for statement, _generic, custom in plans if custom] == []


@pytest.mark.parametrize("order", ["", "-tokens", "authorized"])
def test_changelist_takes_the_same_queries_whatever_the_number_of_apps_and_tokens(
    order, demo, client, make_tokens
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = demo["organization"]
    client.force_login(demo["provider"])
    counts = []
    for total, tokens in ((10, 1), (1000, 500)):
        make_apps(owner, total - App.objects.filter(owner=owner).count())
        give_tokens_and_grants(owner, demo["user"])
        make_tokens(App.objects.filter(owner=owner).order_by("name").first(), tokens)  # on page 1
        with CaptureQueriesContext(connection) as captured:
            assert client.get(list_url(owner), {"o": order} if order else {}).status_code == 200
        counts.append(len(captured))
        # The tokens are counted once, for the page: never for the count of Apps.
        assert sum("apps_registry_accesstoken" in query["sql"] for query in captured) == 1

    assert counts[0] == counts[1]
