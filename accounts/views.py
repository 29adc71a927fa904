from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal.audit import Origin
from portal.forms import add_service_errors

from .external import external_providers, provider_name
from .forms import ChildAccountForm
from .selectors import app_counts, breadcrumb, manageable_account
from .services import account_create, identity_unlink


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


@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = manageable_account(request.user, pk)
    children = account.children.annotate(app_count=Count("apps")).order_by("kind", "username")
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "children": children,
            "app_counts": app_counts(account),
            "breadcrumb": breadcrumb(request.user, account),
            **(own_identities(request) if account.pk == request.user.pk else {}),
        },
    )


def own_identities(request: HttpRequest) -> dict:
    """The signed-in account's linked external identities and the providers it can link,
    shown on its own account page only (nobody links or unlinks for someone else)."""
    providers = external_providers(request)
    if not providers and not request.user.socialaccount_set.exists():
        return {}
    names = {provider.id: provider.name for provider in providers}
    identities = [
        (identity, names.get(identity.provider) or provider_name(identity.provider, request))
        for identity in request.user.socialaccount_set.order_by("provider", "pk")
    ]
    return {"external": {"providers": providers, "identities": identities}}


@require_http_methods(["GET", "POST"])
def identity_unlink_view(request: HttpRequest, pk: int, identity_pk: int) -> HttpResponse:
    """Unlink one of one's own external identities: GET asks, POST does it."""
    if pk != request.user.pk:
        raise Http404("Identities are managed from one's own account page.")
    identity = get_object_or_404(SocialAccount, pk=identity_pk, user=request.user)
    name = provider_name(identity.provider, request)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            identity_unlink(actor=request.user, identity_id=identity.pk, origin=Origin.from_request(request))
        except PermissionDenied:  # unlinked meanwhile, in another tab
            raise Http404("This identity is not linked to your account.") from None
        messages.success(request, f"The {name} identity was unlinked: it no longer signs in to this account.")
        return redirect(request.user)
    return render(
        request,
        "confirm.html",
        {
            "title": f"Unlink the {name} identity?",
            "message": f"Signing in with this {name} identity ({identity.uid}) will no longer sign in "
            f"to {request.user.username}. You can link it again later.",
            "button": "Unlink",
            "danger": True,
            "count": None,
            "action_url": request.path,
            "cancel_url": request.user.get_absolute_url(),
        },
    )


@require_http_methods(["GET", "POST"])
def account_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    parent = manageable_account(request.user, pk)
    if not parent.child_kinds:
        raise Http404("A User account has no child accounts.")
    form = ChildAccountForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            child = account_create(
                actor=request.user,
                parent=parent,
                **form.service_arguments(),
                origin=Origin.from_request(request),
            )
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
