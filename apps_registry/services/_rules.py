"""What every App service shares: the fields an owner may edit, the permission check, the
audit row, and the rules an App's creation checks (the API its owner's kind allows, the App
limit, who marks a resource server)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Account, Kind
from accounts.permissions import can_manage_account
from portal.audit import Origin, audit_columns

from .. import notices
from ..apis import Api, api_kind
from ..crypto import is_credential
from ..exceptions import ApiNotAllowed, AppLimitReached
from ..models import App, AuditEvent

# What an App's owner may change after creation (the API and the owner are fixed).
EDITABLE_FIELDS = (
    "name",
    "description",
    "homepage",
    "image_uri",
    "email",
    "phone",
    "trusted",
    "resource_server",
    "redirect_uri",
)
# The redirect URLs beyond the first change only through RFC 7592 registration (oauth.services);
# the portal's form and the admin show them, read-only.
REGISTRATION_FIELDS = ("extra_redirect_uris",)


@dataclass
class BulkOutcome:
    """What a bulk action did: the Apps it changed, and how many it left as they were (already
    so), found removed meanwhile, or could not act on (a public client has no secret)."""

    changed: list[App] = field(default_factory=list)
    unchanged: int = 0
    missing: int = 0
    public: int = 0
    counts: dict[int, dict] = field(default_factory=dict)  # by App id, what went with each


def _require_manager(actor: Account, owner: Account) -> None:
    if not can_manage_account(actor, owner):
        raise PermissionDenied("You cannot manage the Apps of this account.")


def _audit(
    *, actor: Account, app: App, action: str, origin: Origin, details: dict | None = None
) -> AuditEvent:
    """Record the change, and write its e-mail notices to the outbox in the same transaction
    (notices.NOTICES says which actions have one): every App change passes here, whatever its
    entry point."""
    return _audit_many(actor=actor, apps=[app], action=action, origin=origin, details={app.pk: details})[0]


def _audit_many(
    *,
    actor: Account,
    apps: list[App],
    action: str,
    origin: Origin,
    details: dict[int, dict | None] | None = None,
) -> list[AuditEvent]:
    """One audit row per App (one INSERT), and the notices of them all as one letter per
    recipient: a bulk action's digest. `details` by App id."""
    details = details or {}
    events = AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                **audit_columns(actor=actor, action=action, origin=origin, details=details.get(app.pk)),
                account_id=app.owner_id,
                app=app,
                app_name=app.name,
                app_client_id=app.client_id,
            )
            for app in apps
        ]
    )
    notices.notify_all(zip(events, apps, strict=True))
    return events


def _lock_manageable(actor: Account, ids: Collection[int]) -> list[App]:
    """Lock the Apps `ids` names, in id order (so two bulk actions never deadlock), with their
    owners: all of them must be within the actor's reach (PermissionDenied, nothing locked that
    matters, otherwise). Those removed meanwhile are simply missing from the answer."""
    rows = list(
        App.objects.manageable_by(actor)
        .select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk__in=list(ids))
        .order_by("pk")
    )
    missing = set(ids) - {app.pk for app in rows}
    if missing and App.objects.filter(pk__in=missing).exists():
        raise PermissionDenied("You cannot manage the Apps of this account.")
    return rows


def check_api_allowed(*, owner: Account, api: str) -> None:
    """design §2: the owner's kind may own Apps of this API (a Service Provider owns no
    UnifiedAPI App: the API kind's rule, apps_registry/apis.py)."""
    if api not in Api.values:
        return  # no such API: the App's `api` field says so (invalid_choice)
    kind = api_kind(api)
    if not kind.may_be_owned_by(owner):
        raise ApiNotAllowed(kind, owner.get_kind_display())


def check_app_limit(*, owner: Account) -> None:
    """design §3: at most APP_LIMIT_PER_ACCOUNT Apps per account (read at call time)."""
    limit = settings.APP_LIMIT_PER_ACCOUNT
    if App.objects.filter(owner_id=owner.pk).count() >= limit:
        raise AppLimitReached(limit)


def may_mark_resource_server(actor: Account) -> bool:
    """Only an Administrator marks an App as a resource server (it then introspects the tokens
    of every App within that Administrator's tree); _require_manager still applies."""
    return actor.kind == Kind.ADMINISTRATOR


def _check_credential(value: str, field: str) -> None:
    if not is_credential(value):
        raise ValidationError(
            {field: ValidationError("Must be 32 characters from A-Z a-z 0-9 - . _ ~.", code="invalid")}
        )
