"""What every app's Django admin shares: scoping to the signed-in account's subtree, service
errors shown as messages, and a "View on site" that cannot reveal an object out of reach."""

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect

# Columns that hold a secret or a credential's checksum, on any model: no admin URL may filter
# on them (`?password__regex=^pbkdf2_sha256\$...` on a changelist answers one character at a
# time whether the hash starts so), whatever the model or the path to it (`owner__password`).
SECRET_FIELDS = frozenset(
    {
        "password",
        "encrypted_secret",
        "client_secret",
        "secret_version",
        "token",
        "token_checksum",
        "access_token_checksum",
        "code",
        "code_challenge",
        "code_checksum",
        "nonce",
        "jti",
        "session_key",
        "session_data",
        "key",
        "secret",
        "extra_data",
    }
)


class ScopedAdminMixin:
    """Objects outside the signed-in account's subtree do not exist here (404 in the admin),
    and no lookup in the URL touches a secret column (400)."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        """Refuse any filter whose path names a secret column (SECRET_FIELDS), on this model or
        a related one: Django answers DisallowedModelAdminLookup, a 400."""
        if any(part in SECRET_FIELDS for part in lookup.split(LOOKUP_SEP)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        """Django redirects to the admin's index for a missing object; out of reach is as
        missing, and both are a 404 (the change, delete and history pages)."""
        raise Http404(f"No {opts.verbose_name} matches the given query.")

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class ServiceErrorsMixin:
    """A rule refused by a service at save time (a race the form could not see, such as two
    creates at the limit) comes back as an error message; the transaction is rolled back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def view_on_site(request, content_type_id: int, object_id: str):
    """The admin's "View on site" shortcut, through the same scoped queryset as the model's
    admin pages: an object out of reach is a 404 exactly like a missing one (Django's own
    shortcut would redirect to it, telling that it exists)."""
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type else None
    if model is None or not admin.site.is_registered(model) or not object_id.isdigit():
        raise Http404("No such object.")
    obj = get_object_or_404(admin.site.get_model_admin(model).get_queryset(request), pk=int(object_id))
    if not hasattr(obj, "get_absolute_url"):
        raise Http404("This object has no page on the site.")
    return redirect(obj.get_absolute_url())


@login_not_required
def admin_sign_in(request):
    """/admin/login/: the admin's sign-in form for a visitor, but for a signed-in account the
    admin refuses (not staff) the portal's 403 page: Django would show its sign-in form again,
    which reads as if the portal had signed the account out."""
    if request.user.is_authenticated and not admin.site.has_permission(request):
        raise PermissionDenied("This account may not use the Django admin.")
    return admin.site.login(request)
