"""The audit trail of an account's Apps and of the account itself: the page and its CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Account, AccountEvent
from accounts.selectors import breadcrumb, manageable_account

from ..models import Api, AuditAction
from ..selectors import (
    AuditFilters,
    audit_action_choices,
    audit_actor_choices,
    audit_app_choices,
    audit_events,
    audit_timeline,
    clean_audit_filters,
)

# --- the audit trail --------------------------------------------------------------------------


def _audit_context(request: HttpRequest, account: Account) -> tuple[AuditFilters, dict]:
    filters = clean_audit_filters(request.GET)
    return filters, {
        "account": account,
        "filters": filters,
        "selected": filters.app_key,
        "app_choices": audit_app_choices(account),
        "action_choices": audit_action_choices(),
        "actor_choices": audit_actor_choices(account),
        "time_zone": timezone.get_current_timezone_name(),
        "breadcrumb": breadcrumb(request.user, account),
    }


@require_GET
def audit_trail(request: HttpRequest, pk: int) -> HttpResponse:
    """Who did what to which App of the account, and to the account and the accounts below
    it, when (with the time zone) and from where, newest first; filterable by App (which
    leaves out the account changes), action, actor and dates, and exported as CSV."""
    account: Account = manageable_account(request.user, pk)
    filters, context = _audit_context(request, account)
    page = audit_timeline(account, filters=filters, page=request.GET.get("page"))
    for event in page.object_list:
        event.details_text = details_text(event)
    csv_query = request.GET.copy()
    csv_query.pop("page", None)
    return render(
        request,
        "apps_registry/audit_trail.html",
        {
            **context,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "csv_url": reverse("apps_registry:audit_csv", args=[account.pk])
            + (f"?{csv_query.urlencode()}" if csv_query else ""),
        },
    )


class _Echo:
    """A file-like object whose write() returns the line: csv.writer's output, streamed."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
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


@require_GET
def audit_trail_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The audit trail as CSV, with the page's filters, every page; no secret is ever in it
    (the audit rows hold none)."""
    account: Account = manageable_account(request.user, pk)
    filters = clean_audit_filters(request.GET)
    zone = timezone.get_current_timezone()
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        for event in audit_events(account, filters=filters):
            created = event.created.astimezone(zone)
            is_account = isinstance(event, AccountEvent)
            cells = [
                created.strftime("%Y-%m-%d %H:%M:%S"),
                created.tzname(),
                event.actor_username,
                event.get_action_display(),
                event.account_username if is_account else event.app_name,
                "" if is_account else event.app_client_id,
                event.get_source_display(),
                event.ip_address or "",
                details_text(event),
            ]
            yield writer.writerow([_csv_cell(cell) for cell in cells])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{account.pk}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# A formula's first character (OWASP CSV injection; the full-width forms too) at the start of
# the cell or after anything a spreadsheet may split cells at: the comma the file uses, and the
# semicolon, tab or bar another locale's list separator is, each maybe followed by spaces.
_FORMULA = re.compile(r"(^|[,;\t|\r\n])(\s*)([=+\-@\uff1d\uff0b\uff0d\uff20])")


def _csv_cell(value: str) -> str:
    """A cell no spreadsheet runs as a formula, whatever separator it splits the line at: the
    writer quotes every cell, and each formula start, at the cell's start or after a separator,
    gets a `'` before it ("x;=1+1" is written "x;'=1+1")."""
    return _FORMULA.sub(r"\1\2'\3", str(value or ""))


# The words for the fields an audit row names (the form's labels, lower case).
FIELD_WORDS = {
    "name": "name",
    "description": "description",
    "homepage": "homepage",
    "image_uri": "image",
    "email": "admin email",
    "phone": "admin phone",
    "trusted": "trusted",
    "redirect_uri": "redirect URL",
    "extra_redirect_uris": "more redirect URLs",
}
ACCOUNT_FIELD_WORDS = {"email": "e-mail", "is_active": "active", "parent": "parent account"}
COUNT_WORDS = (
    ("access_tokens", "access token"),
    ("refresh_tokens", "refresh token"),
    ("id_tokens", "ID token"),
    ("authorization_codes", "authorization code"),
    ("grants", "remembered consent"),
)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def details_text(event) -> str:
    """An audit row's details in words: "Changed name and homepage", "3 access tokens and 3
    refresh tokens revoked", never the internal counters' names."""
    details = dict(event.details or {})
    parts = []
    secret, added = details.pop("secret", None), details.pop("secret_added", None)
    if secret is not None:  # which secret, as the App's page names it (when added): never a character of it
        parts.append(f"The secret added {str(added)[:16].replace('T', ' ')}" if added else "A secret")
    fields = details.pop("fields", None)
    if isinstance(fields, list) and fields:
        words = ACCOUNT_FIELD_WORDS if isinstance(event, AccountEvent) else FIELD_WORDS
        parts.append("Changed " + _and([words.get(str(f), str(f).replace("_", " ")) for f in fields]))
    counts = []
    for key, word in COUNT_WORDS:
        value = details.pop(key, None)
        if isinstance(value, int) and value:
            counts.append(f"{value} {word}{'s' if value != 1 else ''}")
    if counts:
        verb = "deleted with it" if event.action == AuditAction.REMOVE else "revoked"
        parts.append(f"{_and(counts)} {verb}")
    elif event.action in (
        AuditAction.REGENERATE_SECRET,
        AuditAction.REMOVE_SECRET,
        AuditAction.REVOKE_TOKENS,
        AuditAction.REMOVE,
    ):
        parts.append("No live token")
    api = details.pop("api", None)
    if api:
        parts.append(f"{Api(api).label if api in Api.values else api} App")
    kind = details.pop("kind", None)
    if kind:
        parts.append(f"{str(kind).replace('_', ' ').capitalize()} account")
    provider = details.pop("provider", None)
    if provider:
        uid = details.pop("uid", "")
        parts.append(f"{str(provider).capitalize()} identity {uid}".strip())
    for key, value in details.items():  # anything else, as it is
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)
