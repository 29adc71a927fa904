"""Logging filters, and the redaction of secrets from the request lines an access log keeps
(the development server's here, gunicorn's in config/gunicorn_conf.py). No Django import:
gunicorn's configuration loads this module before Django is set up."""

import logging
import re
from urllib.parse import unquote_plus

# Paths whose query string carries an App secret, a code or a token (the playground's callback
# receives them from register.php and authorize.php): the access log keeps the path only.
REDACTED_QUERY_PATHS = ("/playground/callback/",)
# Query parameters whose value is a credential, wherever they appear (names compared decoded
# and case-insensitively): the access log keeps the name and drops the value.
SECRET_PARAMETERS = frozenset(
    {"client_secret", "code", "accessrequesttoken", "access_token", "refresh_token", "token"}
)
REDACTED = "[redacted]"

_PARAMETER = re.compile(r"(?P<lead>^|[&;])(?P<name>[^=&;]*)=(?P<value>[^&;]*)")
# A path (or URL) and its query, as they appear in a request line or a Referer.
_TARGET = re.compile(r'(?P<path>[^\s?"]*)\?(?P<query>[^\s#"]*)')
_ORIGIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*")


def redact_query(query: str) -> str:
    """The query string with the value of every SECRET_PARAMETERS parameter replaced."""

    def replace(match: re.Match) -> str:
        if unquote_plus(match["name"]).strip().lower() in SECRET_PARAMETERS:
            return f"{match['lead']}{match['name']}={REDACTED}"
        return match[0]

    return _PARAMETER.sub(replace, query)


def redact_targets(text: str) -> str:
    """`text` (a request line, a URL, a Referer) with each query in it redacted: the whole
    query on REDACTED_QUERY_PATHS, the secret parameters' values anywhere else."""

    def replace(match: re.Match) -> str:
        path = match["path"]
        if _ORIGIN.sub("", path).startswith(REDACTED_QUERY_PATHS):
            return f"{path}?{REDACTED}"
        return f"{path}?{redact_query(match['query'])}"

    return _TARGET.sub(replace, text) if "?" in text else text


class RedactSecretQueries(logging.Filter):
    """Redact the request line the development server logs (redact_targets)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            record.args = (redact_targets(record.args[0]), *record.args[1:])
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
