"""The kinds of account and where each may sit (design §2): Administrator > Service Provider >
Organization > User. Plain declarations, importable without the app registry (the API kinds
of apps_registry/apis.py name the kinds that may own their Apps)."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    SERVICE_PROVIDER = "service_provider", "Service Provider"
    ORGANIZATION = "organization", "Organization"
    USER = "user", "User"


# design §2: the kinds an account of each kind may have as its parent. The database
# enforces the same table with triggers (migration 0002).
ALLOWED_PARENT_KINDS: dict[str, tuple[str, ...]] = {
    Kind.ADMINISTRATOR: (),
    Kind.SERVICE_PROVIDER: (Kind.ADMINISTRATOR,),
    Kind.ORGANIZATION: (Kind.ADMINISTRATOR, Kind.SERVICE_PROVIDER),
    Kind.USER: (Kind.ORGANIZATION,),
}


def child_kinds(kind: str) -> list[str]:
    """The kinds of account that an account of `kind` may add below itself."""
    return [child for child, parents in ALLOWED_PARENT_KINDS.items() if kind in parents]


def kinds_below(kind: str) -> list[str]:
    """Every kind of account that may sit somewhere below an account of `kind`, in the order of Kind."""
    found, todo = set(), [kind]
    while todo:
        for child in child_kinds(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return [each for each in Kind.values if each in found]
