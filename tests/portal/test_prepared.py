"""portal.speedups.prepared: the hot paths' INSERT and SELECTs compiled once answer exactly what the
ORM would, fail as it would, and step aside where the ORM's way is needed."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from apps_registry.models import AccessToken
from portal.speedups.prepared import insert

pytestmark = pytest.mark.django_db


def token(app, value: str) -> AccessToken:
    return AccessToken(
        user=app.owner,
        application=app,
        token=value,
        expires=timezone.now() + timedelta(hours=1),
        scope="unifiedapi",
        resource=["https://portal.example/uapi"],
        user_agent="curl/8",
        secret=app.live_secrets[0],
    )


def test_insert_writes_the_row_save_would(trusted_app):
    by_orm, prepared = token(trusted_app, "by-orm"), token(trusted_app, "prepared")
    by_orm.save()
    insert(prepared)
    assert prepared.pk is not None and not prepared._state.adding
    stored = AccessToken.objects.get(pk=prepared.pk)
    reference = AccessToken.objects.get(pk=by_orm.pk)
    for field in AccessToken._meta.concrete_fields:
        if field.attname in ("id", "token", "token_checksum", "created", "updated", "expires"):
            continue
        assert getattr(stored, field.attname) == getattr(reference, field.attname), field.name
    assert stored.token == "prepared" and stored.token_checksum  # the checksum field's pre_save ran
    assert stored.created is not None and stored.updated is not None  # auto_now(_add)


def test_a_refused_insert_raises_djangos_error_and_writes_nothing(trusted_app):
    insert(token(trusted_app, "twice"))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(token(trusted_app, "twice"))
    assert AccessToken.objects.filter(token="twice").count() == 1


def test_a_model_with_a_save_receiver_is_saved_the_orms_way(trusted_app):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.token)

    pre_save.connect(receiver, sender=AccessToken)
    try:
        insert(token(trusted_app, "watched"))
    finally:
        pre_save.disconnect(receiver, sender=AccessToken)
    assert seen == ["watched"]
    assert AccessToken.objects.filter(token="watched").exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's JIT")
def test_postgresql_connections_compile_no_query_just_in_time():
    """A misjudged count once spent 0.4 s in JIT compilation on a 0.2 ms query (make bench)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_on_postgresql_a_hot_query_is_planned_once_per_connection_unless_pooled():
    """The token lookup of /uapi/@me is prepared on the server at its first use, so PostgreSQL
    plans it once per connection; with prepare_threshold None (PgBouncer in transaction
    pooling mode, config/environment.py) nothing is prepared, and the answer is the same."""
    from oauth.selectors import token_for_me

    def prepared_statements() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    connection.ensure_connection()
    psycopg_connection = connection.connection
    threshold = psycopg_connection.prepare_threshold
    try:
        psycopg_connection.prepare_threshold = None
        psycopg_connection.execute("DEALLOCATE ALL")
        assert token_for_me("no such token") is None
        assert prepared_statements() == []

        psycopg_connection.prepare_threshold = 0
        assert token_for_me("no such token") is None
        assert token_for_me("still none") is None
        [statement] = prepared_statements()
        assert "apps_registry_accesstoken" in statement and "$1" in statement
    finally:
        psycopg_connection.prepare_threshold = threshold


# --- Shaped: queries of several shapes, each compiled once --------------------------------


def test_shaped_answers_what_the_orm_answers_and_compiles_each_shape_once(demo):
    from apps_registry.models import App
    from portal.speedups.prepared import Shaped
    from tests.factories import AppFactory

    owner = demo["organization"]
    for name in ("100% sure", "100 percent", "a_b", "axb", "back\\slash", "Mixed Case"):
        AppFactory(owner=owner, name=name)
    AppFactory(owner=demo["user"], name="100% elsewhere")

    def build(key, *, owner: int, query: str, since):
        return App.objects.filter(owner_id=owner, name__icontains=query, created__gte=since).values("name")

    shaped = Shaped(build)
    since = timezone.now() - timedelta(days=1)
    for query in ("%", "_", "\\", "mixed case", "100", "nothing"):
        expected = sorted(row["name"] for row in build(None, owner=owner.pk, query=query, since=since))
        assert sorted(
            row["name"] for row in shaped.rows("by-name", owner=owner.pk, query=query, since=since)
        ) == (expected)
    assert len(shaped.compiled) == 1  # one shape, compiled once for six searches
    assert shaped.rows("by-name", owner=owner.pk, query="", since=timezone.now() + timedelta(days=1)) == []


def test_shaped_puts_every_value_of_a_list_in_its_place(demo):
    from apps_registry.models import App
    from portal.speedups.prepared import Shaped
    from tests.factories import AppFactory

    apps = [AppFactory(owner=demo["organization"]) for _ in range(3)]
    shaped = Shaped(lambda key, *, ids: App.objects.filter(pk__in=ids).values_list("pk"), named=False)

    assert sorted(shaped.rows(None, ids=[apps[0].pk, apps[2].pk])) == [(apps[0].pk,), (apps[2].pk,)]
    assert shaped.rows(None, ids=[apps[1].pk, -5]) == [(apps[1].pk,)]
    assert shaped.rows(None, ids=[apps[1].pk]) == [(apps[1].pk,)]
    assert len(shaped.compiled) == 2  # a shape per number of ids


# --- read_together: independent reads as one statement --------------------------------------


def _reads(demo):
    """A Prepared row, a Prepared row not found and a Shaped page, with their answers read
    one at a time."""
    from apps_registry.models import App
    from oauth.clients import app_lookup
    from portal.speedups.prepared import Shaped
    from portal.speedups.statements import read
    from tests.factories import AppFactory

    app = AppFactory(owner=demo["organization"], name="Together")
    shaped = Shaped(
        lambda key, *, owner: App.objects.filter(owner_id=owner).order_by("pk").values("pk", "name")
    )
    statements = [app_lookup(app.client_id), app_lookup("no such key"), shaped.read(None, owner=app.owner_id)]
    return app, statements, [read(statement) for statement in statements]


def test_read_together_answers_what_reading_one_at_a_time_answers(demo):
    from portal.speedups.statements import read_together

    app, statements, one_at_a_time = _reads(demo)
    together = read_together(*statements)
    assert together[0].pk == one_at_a_time[0].pk == app.pk
    assert together[0].live_secrets[0].created == one_at_a_time[0].live_secrets[0].created  # its type too
    assert [s.pk for s in together[0].live_secrets] == [s.pk for s in one_at_a_time[0].live_secrets]
    assert together[1] is None and one_at_a_time[1] is None
    assert sorted(together[2], key=lambda row: row["pk"]) == one_at_a_time[2]
    assert {"pk": app.pk, "name": "Together"} in together[2]


def test_reads_together_are_one_statement(demo):
    """One execution (one round trip on PostgreSQL), which Django's query log counts once."""
    from django.test.utils import CaptureQueriesContext

    from portal.speedups.statements import read_together

    _app, statements, _answers = _reads(demo)
    with CaptureQueriesContext(connection) as captured:
        read_together(*statements)
    assert len(captured) == 1 and captured[0]["sql"].count("UNION ALL") == 2


def test_each_statement_gives_a_typed_null_per_column_it_returns(demo):
    """read_together() splits the rows by the columns the statements declare (Prepared's and
    Shaped's: the compiler's), and pads with NULLs of the same types."""
    _app, statements, _answers = _reads(demo)
    for statement in statements:
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            returned = [column[1] for column in cursor.description]  # DB-API type_code
            cursor.execute(f"SELECT {', '.join(statement.nulls)}")
            assert [column[1] for column in cursor.description] == returned


def test_an_apps_secrets_read_together_are_oldest_first(demo):
    """Rows read together come in no promised order (a UNION ALL): the App's answer puts its
    live secrets in order itself, as App.live_secrets has them."""
    from apps_registry.services import COMMAND_LINE, app_add_secret
    from oauth.clients import app_lookup
    from oauth.selectors import token_lookup
    from portal.speedups.statements import read_together
    from tests.factories import AppFactory

    app = AppFactory(owner=demo["organization"])
    app, _secret = app_add_secret(actor=demo["organization"], app=app, origin=COMMAND_LINE)
    expected = [secret.pk for secret in app.secrets.live().order_by("created", "pk")]
    found, _token = read_together(app_lookup(app.client_id, standing=True), token_lookup("none"))
    assert len(expected) == 2 and [secret.pk for secret in found.live_secrets] == expected


def test_a_failing_read_together_raises_djangos_error_and_the_connection_goes_on(demo):
    from django.db import DatabaseError

    from portal.speedups.statements import Read, read, read_together

    _app, statements, answers = _reads(demo)
    failing = Read("SELECT * FROM no_such_table WHERE 1 = %s", [1], list, ("NULL",))
    with pytest.raises(DatabaseError), transaction.atomic():
        read_together(statements[0], failing, statements[2])
    assert read(statements[2]) == answers[2]


# --- kept cursors: one per statement and connection on PostgreSQL ---------------------------


@pytest.mark.django_db(transaction=True)  # it closes the connection
def test_one_statement_read_again_with_other_values_answers_each(demo):
    """The statement's cursor is kept from one run to the next: each answer is its own
    values' (read alone, or twice within one read_together), after the connection is
    replaced too."""
    from oauth.clients import app_lookup
    from portal.speedups.statements import read, read_together
    from tests.factories import AppFactory

    first, second = AppFactory(owner=demo["organization"]), AppFactory(owner=demo["user"])
    assert read(app_lookup(first.client_id)).pk == first.pk
    assert read(app_lookup(second.client_id)).pk == second.pk
    together = read_together(app_lookup(first.client_id), app_lookup(second.client_id), app_lookup("none"))
    assert [getattr(app, "pk", None) for app in together] == [first.pk, second.pk, None]
    connection.close()
    assert read(app_lookup(second.client_id)).pk == second.pk


def test_a_read_in_a_transaction_an_error_broke_is_refused_as_djangos_cursor_refuses_it(demo):
    from django.db.transaction import TransactionManagementError

    from oauth.clients import app_lookup
    from portal.speedups.statements import read, read_together
    from tests.factories import AppFactory

    app = AppFactory(owner=demo["organization"])
    read(app_lookup(app.client_id))  # the statement's cursor made (and kept, on PostgreSQL)
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            AppFactory(owner=demo["organization"], client_id=app.client_id)
        with pytest.raises(TransactionManagementError):
            read(app_lookup(app.client_id))
        with pytest.raises(TransactionManagementError):
            read_together(app_lookup(app.client_id), app_lookup("none"))
    assert read(app_lookup(app.client_id)).pk == app.pk
