from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps_registry.models import Api
from portal.forms import add_service_errors

from .forms import ChildAccountForm
from .models import Account
from .services import account_create


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The site root: one's own account page, or the login page."""
    if request.user.is_authenticated:
        return redirect(request.user)
    return redirect("login")


@require_GET
def me(request: HttpRequest) -> HttpResponse:
    return redirect(request.user)


def breadcrumb(actor: Account, account: Account) -> list[Account]:
    """The accounts from the actor's own down to `account` (parents are select_related)."""
    trail = [account]
    while trail[-1].pk != actor.pk and trail[-1].parent is not None:
        trail.append(trail[-1].parent)
    return trail[::-1]


def get_manageable_account(request: HttpRequest, pk: int) -> Account:
    queryset = Account.objects.manageable_by(request.user).select_related("parent__parent__parent")
    return get_object_or_404(queryset, pk=pk)


@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_manageable_account(request, pk)
    children = account.children.annotate(app_count=Count("apps")).order_by("kind", "username")
    app_counts = account.apps.aggregate(
        systemapi=Count("pk", filter=Q(api=Api.SYSTEMAPI)),
        unifiedapi=Count("pk", filter=Q(api=Api.UNIFIEDAPI)),
    )
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "children": children,
            "app_counts": app_counts,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


@require_http_methods(["GET", "POST"])
def account_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    parent = get_manageable_account(request, pk)
    if not parent.child_kinds:
        raise Http404("A User account has no child accounts.")
    form = ChildAccountForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            child = account_create(actor=request.user, parent=parent, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The {child.get_kind_display()} account “{child.username}” was added.")
            return redirect(child)
    return render(
        request,
        "accounts/account_add_child.html",
        {"account": parent, "form": form, "breadcrumb": breadcrumb(request.user, parent)},
    )
