"""The hosts whose Client ID Metadata Documents the owning account refuses (design §6.2): a
phishing client named after someone else, a host that floods the portal. Refusing a host stops
every App made from its documents (disabled through apps_set_enabled, audited, as if the owner
had disabled each) and fetches nothing from it again; allowing it again fetches again, and
leaves the Apps disabled until the owner enables them (each is still an unverified developer's).
The portal's pages, the command line (`manage.py metadata_hosts`) call these."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account
from accounts.permissions import can_manage_account
from accounts.services import account_event_record
from apps_registry.models import App, RefusedMetadataHost
from apps_registry.services import apps_set_enabled
from portal.audit import Origin

from ..audit import OAuthAccountAction
from .documents import host_of, owning_account

HOST_MAX_LENGTH = RefusedMetadataHost._meta.get_field("host").max_length


def host_apps(account: Account, host: str) -> list[App]:
    """The Apps `account` keeps from documents served by `host`."""
    candidates = App.objects.filter(
        owner=account, registration_source=App.RegistrationSource.CIMD, client_id__istartswith="https://"
    )
    return [app for app in candidates if host_of(app.client_id) == host]


def _normalized(host: str) -> str:
    """A host name (or IP literal) as URLs carry it, lower case."""
    host = (host or "").strip().lower()
    try:
        valid = 0 < len(host) <= HOST_MAX_LENGTH and host_of(f"https://{host}/") == host.strip("[]")
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError(
            {"host": ValidationError("Enter a host name, such as mcp.example.com.", code="invalid")}
        )
    return host.strip("[]")


def metadata_host_refuse(*, actor: Account, account: Account, host: str, origin: Origin) -> int:
    """Refuse `host` for `account` (which the actor manages): its documents are fetched no more
    and the Apps made from them are disabled. Returns how many were disabled. Refusing a host
    twice changes nothing and audits once."""
    if not can_manage_account(actor, account):
        raise PermissionDenied("You cannot manage this account.")
    host = _normalized(host)
    with transaction.atomic():
        try:
            with transaction.atomic():
                RefusedMetadataHost.objects.create(account=account, host=host, created_by=actor)
        except IntegrityError:
            return 0
        disabled = len(
            apps_set_enabled(actor=actor, apps=host_apps(account, host), enabled=False, origin=origin).changed
        )
        account_event_record(
            actor=actor,
            account=account,
            action=OAuthAccountAction.HOST_REFUSE,
            origin=origin,
            details={"host": host, "apps_disabled": disabled},
        )
    return disabled


def metadata_host_allow(*, actor: Account, account: Account, host: str, origin: Origin) -> None:
    """Take `host` off `account`'s refused hosts: its documents are fetched again."""
    if not can_manage_account(actor, account):
        raise PermissionDenied("You cannot manage this account.")
    host = _normalized(host)
    with transaction.atomic():
        if RefusedMetadataHost.objects.filter(account=account, host=host).delete()[0]:
            account_event_record(
                actor=actor,
                account=account,
                action=OAuthAccountAction.HOST_ALLOW,
                origin=origin,
                details={"host": host},
            )


def is_refused(account: Account, host: str) -> bool:
    return RefusedMetadataHost.objects.filter(account=account, host=host.lower()).exists()


class RefusedHostPermission:
    """A django-oauth-toolkit CIMD_REGISTRATION_PERMISSION_CLASSES class: a document is fetched
    only when the owning account has not refused its host."""

    def has_permission(self, request, client_id: str) -> bool:
        owner = owning_account()
        return owner is not None and not is_refused(owner, host_of(client_id))
