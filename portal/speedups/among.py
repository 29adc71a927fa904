"""`Among(column, ids)`: the condition `column IN (ids)`, which on PostgreSQL is written
`column = ANY(%s)` with the ids as one array parameter instead of one parameter each.

psycopg converts a statement's %s placeholders to PostgreSQL's $1, $2... with a parser in
Python, and remembers the conversion only for statements of at most 50 parameters; the live
tokens of a tab's 1000 Apps (the App list sorted by them: their ids twice, and a time) were
parsed again on every page, and PostgreSQL bound 2,001 parameters. With arrays the statement
has the same three parameters whatever the number of ids. Elsewhere (SQLite) it is Django's
own IN."""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F


class Among(Expression):
    """`column` is one of `ids` (integers), for filter(): `.filter(Among("app_id", ids))`."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, ids) -> None:
        super().__init__()
        self.column, self.ids = F(column), list(ids)

    def get_source_expressions(self) -> list:
        return [self.column]

    def set_source_expressions(self, expressions) -> None:
        [self.column] = expressions

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        if not self.ids:
            return "1 = 0", []  # among nothing: nothing
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s::bigint[])", (*params, self.ids)
        return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)
