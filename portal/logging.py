"""Logging filters: what the access log must not keep."""

import logging

# Paths whose query string carries an App secret, a code or a token (the playground's callback
# receives them from register.php and authorize.php): the access log keeps the path only.
REDACTED_QUERY_PATHS = ("/playground/callback/",)


class RedactSecretQueries(logging.Filter):
    """Strip the query string of the request line the development server logs, on the paths
    that receive secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            method, _, rest = record.args[0].partition(" ")
            target, _, protocol = rest.partition(" ")
            path, question, _query = target.partition("?")
            if question and path.startswith(REDACTED_QUERY_PATHS):
                record.args = (f"{method} {path}?[redacted] {protocol}".rstrip(), *record.args[1:])
        return True
