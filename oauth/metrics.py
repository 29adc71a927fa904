"""The token endpoint's Prometheus counter (ops/metrics.py exposes every counter at /metrics).

`portal_token_requests_total{grant_type, outcome}` counts the token endpoint's answers: outcome
`issued`, or the OAuth error code (`invalid_client`, `invalid_grant`, ...). A run of
`invalid_client` is credential stuffing; a client stuck on `invalid_grant` is a broken one.
Both labels come from fixed lists (anything else is `other`), so a client cannot make new series.
"""

from __future__ import annotations

from prometheus_client import Counter

GRANT_TYPES = frozenset({"authorization_code", "refresh_token", "client_credentials"})
OUTCOMES = frozenset(
    {
        "issued",
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
    }
)

TOKEN_REQUESTS = Counter(
    "portal_token_requests",
    "Answers of /oauth/token.php by grant type and outcome (issued, or the OAuth error code).",
    ["grant_type", "outcome"],
)


def count_token_request(grant_type: str | None, outcome: str) -> None:
    """One increment, with both labels bounded."""
    grant = grant_type if grant_type in GRANT_TYPES else ("missing" if not grant_type else "other")
    TOKEN_REQUESTS.labels(grant, outcome if outcome in OUTCOMES else "other").inc()
