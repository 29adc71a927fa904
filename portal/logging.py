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


class DisallowedHostWithoutTraceback(logging.Filter):
    """Log a request for a Host outside ALLOWED_HOSTS as one WARNING line: Django logs it as
    an ERROR with the exception's traceback, which says nothing the message does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        return True
