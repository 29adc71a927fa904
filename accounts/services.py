"""Every write to an account (design §2). The portal, the Django admin, the external sign-in
flow and the command line all call these, so a rule cannot differ between entry points.

Each service takes the acting account, checks that it may manage the account it changes
(PermissionDenied otherwise), runs in one transaction, writes its AccountEvent row, and
refuses a broken rule with a ValidationError carrying a stable code.
"""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from portal.audit import Origin, audit_columns

from .models import Account, AccountAction, AccountEvent, child_kinds
from .permissions import can_manage_account
from .signals import account_deactivated

# What the manager of an account may change after creation (username, kind and parent are fixed).
EDITABLE_FIELDS = ("name", "email", "phone")


class IdentityLinkedElsewhere(ValidationError):
    """The external identity already signs in to another account."""

    def __init__(self) -> None:
        super().__init__("This identity is linked to another account.", code="identity_linked_elsewhere")


def _require_manager(actor: Account, account: Account) -> None:
    if not can_manage_account(actor, account):
        raise PermissionDenied("You cannot manage this account.")


def account_event_record(
    *, actor: Account, account: Account, action: str, origin: Origin, details: dict | None = None
) -> AccountEvent:
    """Write the row of the accounts' audit trail for a change to `account` (the one writer of
    AccountEvent: these services, and the other apps' services that audit an account, such as
    oauth's initial access tokens). In the caller's transaction."""
    return AccountEvent.objects.create(
        **audit_columns(actor=actor, action=action, origin=origin, details=details),
        account=account,
        account_username=account.get_username(),
        parent_id=account.parent_id,
    )


def check_new_account(
    *,
    actor: Account,
    parent: Account,
    kind: str,
    username: str,
    password: str,
    name: str,
    email: str,
    phone: str = "",
) -> Account:
    """The account `account_create` would add, checked but not saved: the actor manages
    `parent`, the parent may have that kind below it (design §2), the fields and the password
    are valid. Forms call it to show a refusal beside its field."""
    if not can_manage_account(actor, parent):
        raise PermissionDenied("You cannot add accounts below this account.")
    if kind not in child_kinds(parent.kind):
        raise ValidationError(
            {
                "kind": ValidationError(
                    "A %(parent_kind)s account cannot have a child account of that kind.",
                    code="kind_not_allowed",
                    params={"parent_kind": parent.get_kind_display()},
                )
            }
        )
    account = Account(
        parent=parent,
        kind=kind,
        username=Account.normalize_username(username),
        name=name,
        email=Account.objects.normalize_email(email),
        phone=phone,
    )
    account.full_clean(exclude=["password"])
    try:
        validate_password(password, account)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    account.set_password(password)
    return account


def account_create(
    *,
    actor: Account,
    parent: Account,
    kind: str,
    username: str,
    password: str,
    name: str,
    email: str,
    phone: str = "",
    origin: Origin,
) -> Account:
    """Add a child account below `parent`, which the actor must be able to manage."""
    account = check_new_account(
        actor=actor,
        parent=parent,
        kind=kind,
        username=username,
        password=password,
        name=name,
        email=email,
        phone=phone,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                account.save(force_insert=True)
        except IntegrityError as error:
            # full_clean() checked the username before the INSERT: the same form sent twice
            # at once passes that check in both requests, and the second INSERT meets the first.
            if not Account.objects.filter(username=account.username).exists():
                raise
            raise ValidationError(
                {"username": ValidationError(Account.username.field.error_messages["unique"], code="unique")}
            ) from error
        account_event_record(
            actor=actor, account=account, action=AccountAction.CREATE, origin=origin, details={"kind": kind}
        )
    return account


def account_update(*, actor: Account, account: Account, origin: Origin, **changes) -> Account:
    """Change the editable fields of an account (EDITABLE_FIELDS); records which ones changed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    _require_manager(actor, account)
    if "email" in changes:
        changes["email"] = Account.objects.normalize_email(changes["email"])
    with transaction.atomic():
        current = Account.objects.select_for_update().get(pk=account.pk)
        changed = [field for field, value in changes.items() if getattr(current, field) != value]
        for field in changed:
            setattr(current, field, changes[field])
        current.full_clean(exclude=["password"])
        if changed:
            current.save(update_fields=changed)
            account_event_record(
                actor=actor,
                account=current,
                action=AccountAction.UPDATE,
                origin=origin,
                details={"fields": changed},
            )
    return current


def account_set_active(*, actor: Account, account: Account, active: bool, origin: Origin) -> Account:
    """Deactivate an account (it signs in nowhere; the layers above revoke what it holds on
    `account_deactivated`) or reactivate it. Nobody deactivates their own account."""
    _require_manager(actor, account)
    if not active and account.pk == actor.pk:
        raise ValidationError("You cannot deactivate your own account.", code="cannot_deactivate_self")
    with transaction.atomic():
        current = Account.objects.select_for_update().get(pk=account.pk)
        if current.is_active != active:
            current.is_active = active
            current.save(update_fields=["is_active"])
            action = AccountAction.REACTIVATE if active else AccountAction.DEACTIVATE
            account_event_record(actor=actor, account=current, action=action, origin=origin)
            if not active:
                # In the transaction: a receiver that fails undoes the deactivation with it.
                account_deactivated.send(sender=Account, account=current, actor=actor, origin=origin)
    account.is_active = active
    return account


def identity_link(
    *, actor: Account, provider: str, uid: str, extra_data: dict | None = None, origin: Origin
) -> tuple[SocialAccount, bool]:
    """Link an external identity to the actor's own account (nobody links one for someone
    else); one that signs in to another account is refused (IdentityLinkedElsewhere).
    Returns the identity and whether it was linked now (False: it already was)."""
    _require_manager(actor, actor)
    with transaction.atomic():
        identity = SocialAccount.objects.select_for_update().filter(provider=provider, uid=uid).first()
        if identity is not None:
            if identity.user_id != actor.pk:
                raise IdentityLinkedElsewhere
            return identity, False
        try:
            with transaction.atomic():
                identity = SocialAccount.objects.create(
                    user=actor, provider=provider, uid=uid, extra_data=extra_data or {}
                )
        except IntegrityError as error:  # linked meanwhile, by another request
            raise IdentityLinkedElsewhere from error
        account_event_record(
            actor=actor,
            account=actor,
            action=AccountAction.LINK_IDENTITY,
            origin=origin,
            details={"provider": provider, "uid": uid},
        )
    return identity, True


def identity_unlink(*, actor: Account, identity_id: int, origin: Origin) -> SocialAccount:
    """Remove one of the actor's own linked identities; anyone else's is out of reach."""
    _require_manager(actor, actor)
    with transaction.atomic():
        identity = SocialAccount.objects.select_for_update().filter(pk=identity_id, user=actor).first()
        if identity is None:
            raise PermissionDenied("This identity is not linked to your account.")
        identity.delete()
        account_event_record(
            actor=actor,
            account=actor,
            action=AccountAction.UNLINK_IDENTITY,
            origin=origin,
            details={"provider": identity.provider, "uid": identity.uid},
        )
    return identity
