"""Writes to accounts: a parent adds a child account of a kind the table of design §2 allows."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Account, child_kinds
from .permissions import can_manage_account


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
) -> Account:
    """Add a child account below `parent`, which the actor must be able to manage."""
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
    with transaction.atomic():
        account.save(force_insert=True)
    return account
