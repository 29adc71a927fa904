"""An account's Apps, a tab per API: the changelist and the actions on its selected rows."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Account
from accounts.selectors import breadcrumb, manageable_account

from ..apis import API_KINDS, api_kind
from ..columns import COLUMNS
from ..exceptions import ApiNotAllowed
from ..forms import selected_ids
from ..models import Api, App
from ..selectors import (
    FILTER_PARAMETERS,
    LIST_FILTERS,
    app_changelist,
    apps_to_remove,
    changelist_apps,
    changelist_counts,
    clean_filters,
    selected_apps,
)
from ..services import BulkOutcome, apps_regenerate_secret, apps_remove, apps_set_enabled
from ._base import _api, _list_url, _origin, _redirect, _render, _with_params


@require_GET
def integration(request: HttpRequest) -> HttpResponse:
    """Unified Communications > Integration > SystemAPI & UnifiedAPI: one's own Apps."""
    return redirect("apps_registry:list", request.user.pk)


@require_GET
def app_list(request: HttpRequest, pk: int) -> HttpResponse:
    """An account's Apps, one tab per API: search, filters (folded above the table), sort,
    pages, actions on the selected rows; the same number of queries whatever the number of Apps."""
    account = manageable_account(request.user, pk)
    api = _api(request.GET.get("api"))
    filters = clean_filters(request.GET)
    query = request.GET.get("q", "")
    counts = changelist_counts(account, api=api, query=query, filters=filters)
    changelist = app_changelist(
        account,
        api=api,
        query=query,
        order=request.GET.get("o", ""),
        page=request.GET.get("page"),
        filters=filters,
        count=counts["shown"],
    )
    limit = settings.APP_LIMIT_PER_ACCOUNT
    columns = [
        {
            "key": column.key,
            "label": column.label,
            "classes": column.classes,
            "label_hidden": column.label_hidden,
            "sorted": changelist.sorted_by == column.key,
            "descending": changelist.descending,
            "url": _with_params(
                request.GET, o=f"-{column.key}" if changelist.order == column.key else column.key, page=None
            )
            if column.order_by
            else None,
        }
        for column in COLUMNS
    ]
    sidebar = [
        {
            "parameter": list_filter.parameter,
            "title": list_filter.title,
            "choices": [
                {
                    "label": label,
                    "count": counts[f"{list_filter.parameter}={value}"] if value else None,
                    "selected": filters.get(list_filter.parameter, "") == value,
                    "url": _with_params(request.GET, **{list_filter.parameter: value or None, "page": None}),
                }
                for value, label in (("", "All"), *list_filter.choices)
            ],
        }
        for list_filter in LIST_FILTERS
    ]
    return _render(
        request,
        "apps_registry/app_list.html",
        "changelist",
        {
            "account": account,
            "api": api,
            "page": changelist.page,
            "page_range": changelist.page.paginator.get_elided_page_range(changelist.page.number),
            "query": changelist.query,
            "order": changelist.order,
            "filters": filters,
            "sidebar": sidebar,
            "clear_filters_url": _with_params(request.GET, page=None, **dict.fromkeys(FILTER_PARAMETERS))
            if filters
            else None,
            "columns": columns,
            "actions": ACTIONS,
            "refusal": _refusal(account, api),
            "tabs": [(value, label, counts[value]) for value, label in Api.choices],
            "total": counts["total"],
            "limit": limit,
            "at_limit": counts["total"] >= limit,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


def _refusal(account: Account, api: str) -> dict | None:
    """The words of a tab whose API the account's kind may not own (a Service Provider's
    UnifiedAPI tab): the rule, where its other Apps are, and which accounts below own those."""
    kind = api_kind(api)
    if kind.may_be_owned_by(account):
        return None
    return {
        "api_label": kind.label,
        "message": ApiNotAllowed(kind, account.get_kind_display()).messages[0],
        "owner_kind": account.get_kind_display(),
        "other_tabs": [(other.value, other.label) for other in API_KINDS if other.may_be_owned_by(account)],
        "owners_below": " and ".join(kind.owners_below),
    }


# The actions menu of the changelist: what each does to one App, through its service, and the
# words of its confirmation page.
ACTIONS = {
    "remove": {
        "label": "Remove selected Apps",
        "title": "Remove",
        "button": "Yes, remove them",
        "message": "These Apps are deleted with every token and authorization code they hold. "
        "This cannot be undone.",
        "tokens": "die with them",
        "done": "Removed",
        "danger": True,
    },
    "disable": {
        "label": "Disable selected Apps",
        "title": "Disable",
        "button": "Yes, disable them",
        "message": "While disabled, these Apps get no token and their tokens are refused. Nothing "
        "is deleted: enabling them again makes their unexpired tokens work again.",
        "tokens": "stop working while they are disabled",
        "done": "Disabled",
        "danger": True,
    },
    "enable": {
        "label": "Enable selected Apps",
        "title": "Enable",
        "button": "Yes, enable them",
        "message": "These Apps may get tokens again, and their tokens that have not expired work again.",
        "tokens": "work again",
        "done": "Enabled",
        "danger": False,
    },
    "regenerate": {
        "label": "Regenerate the secrets of selected Apps",
        "title": "Regenerate the secrets of",
        "button": "Yes, regenerate their secrets",
        "message": "Each App gets a new App secret (reveal it on the App's page), and every access "
        "token and refresh token of these Apps stops working at once.",
        "tokens": "stop working",
        "done": "Regenerated the secrets of",
        "danger": True,
    },
}


def _run_action(request: HttpRequest, action: str, apps: list[App]) -> BulkOutcome:
    origin = _origin(request)
    if action == "regenerate":
        return apps_regenerate_secret(actor=request.user, apps=apps, origin=origin)
    if action == "remove":
        return apps_remove(actor=request.user, apps=apps, origin=origin)
    return apps_set_enabled(actor=request.user, apps=apps, enabled=action == "enable", origin=origin)


@require_http_methods(["GET", "POST"])
def app_bulk_action(request: HttpRequest, pk: int, action: str | None = None) -> HttpResponse:
    """An action of the changelist's menu (`action`: remove, disable, enable, regenerate) on the
    selected Apps (`app` ids) or, with `select_across`, on every App the changelist showed
    (its tab, search and filters, sent along), after a page that lists them. Every App goes
    through one call of the action's bulk service: one transaction, so a thousand Apps are done
    in a second or two, all or none, with one digest of notices per recipient. Ids of Apps that
    are not this account's, or out of reach, are ignored."""
    account = manageable_account(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    action = action or data.get("action", "")
    api = _api(data.get("api"))
    list_url = _list_url(account.pk, api)
    if action not in ACTIONS:
        messages.warning(request, "Choose an action for the selected Apps.")
        return _redirect(request, list_url)
    across = None
    kept = {"api": api}
    if data.get("select_across") == "1":
        filters = clean_filters(data)
        across = changelist_apps(account, api=api, query=data.get("q", ""), filters=filters)
        kept = {"api": api, "select_across": "1", "q": data.get("q", ""), **filters}
    confirmed = request.method == "POST" and data.get("confirmed") == "yes"
    chosen = selected_apps if confirmed else apps_to_remove  # the counts only for the page
    apps = chosen(request.user, account, selected_ids(data, "app"), across=across)
    words = ACTIONS[action]
    if not apps:
        messages.warning(request, f"Select one or more Apps to {action}.")
        return _redirect(request, list_url)
    if confirmed:
        # Those removed meanwhile by someone else are left out (nothing left to do).
        outcome = _run_action(request, action, apps)
        done, public = len(outcome.changed) + outcome.unchanged, outcome.public
        messages.success(request, f"{words['done']} {done} App{'s' if done != 1 else ''}.")
        if public:
            messages.warning(
                request,
                f"{public} public client{'s have' if public != 1 else ' has'} no secret to regenerate.",
            )
        return _redirect(request, list_url)
    return render(
        request,
        "apps_registry/app_bulk_remove.html",
        {
            "account": account,
            "api": api,
            "action": action,
            "words": words,
            "apps": apps,
            "kept": kept,
            "across": across is not None,
            "live_tokens": sum(app.live_tokens for app in apps),
            "list_url": list_url,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )
