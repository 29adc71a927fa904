from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.views import breadcrumb, get_manageable_account

from .models import Api

APPS_PER_PAGE = 50


@require_GET
def integration(request: HttpRequest) -> HttpResponse:
    """Unified Communications > Integration > SystemAPI & UnifiedAPI: one's own Apps."""
    return redirect("apps_registry:list", request.user.pk)


@require_GET
def app_list(request: HttpRequest, pk: int) -> HttpResponse:
    """An account's Apps, one tab per API."""
    account = get_manageable_account(request, pk)
    api = request.GET.get("api")
    if api not in Api.values:
        api = Api.SYSTEMAPI
    apps = (
        account.apps.for_api(api)
        .only("pk", "name", "client_id", "trusted", "enabled", "created", "image_uri", "owner_id", "api")
        .order_by("name", "pk")
    )
    page = Paginator(apps, APPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "apps_registry/app_list.html",
        {
            "account": account,
            "api": api,
            "apis": Api.choices,
            "page": page,
            "unified_refused": api == Api.UNIFIEDAPI and not account.may_own_unifiedapi_apps,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )
