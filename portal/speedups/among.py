"""`Among(column, ids)`: the condition `column IN (ids)`, which on PostgreSQL is written
`column = ANY(%s)` with the ids as one array parameter instead of one parameter each.

psycopg converts a statement's %s placeholders to PostgreSQL's $1, $2... with a parser in
Python, and remembers the conversion only for statements of at most 50 parameters; the live
tokens of a tab's 1000 Apps (the App list sorted by them: their ids twice, and a time) were
parsed again on every page, and PostgreSQL bound 2,001 parameters. With arrays the statement
has the same three parameters whatever the number of ids. Elsewhere (SQLite) it is Django's
own IN.

`ids` may also be a queryset of one column (values("pk")[:50]): on PostgreSQL `column =
ANY(ARRAY(subquery))`, the subquery run once, before the rest (an InitPlan), and its ids
looked up by the column's index. `column IN (subquery)` leaves PostgreSQL free to join
instead, and on a small table it read every row to hash them (the App list's page: 1.4 ms
against 0.3 ms in a generic plan). Elsewhere it is that IN."""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F, QuerySet, Subquery


class Among(Expression):
    """`column` is one of `ids` (integers, or a one-column queryset), for filter():
    `.filter(Among("app_id", ids))`."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, ids) -> None:
        super().__init__()
        self.column = F(column)
        self.rows, self.ids = (Subquery(ids), None) if isinstance(ids, QuerySet) else (None, list(ids))

    def get_source_expressions(self) -> list:
        return [self.column] if self.rows is None else [self.column, self.rows]

    def set_source_expressions(self, expressions) -> None:
        if self.rows is None:
            [self.column] = expressions
        else:
            self.column, self.rows = expressions

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        if self.rows is not None:
            rows, row_params = compiler.compile(self.rows)  # "(SELECT ...)"
            among = f"= ANY(ARRAY{rows})" if connection.vendor == "postgresql" else f"IN {rows}"
            return f"{column} {among}", (*params, *row_params)
        if not self.ids:
            return "1 = 0", []  # among nothing: nothing
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s::bigint[])", (*params, self.ids)
        return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)
