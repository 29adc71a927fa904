"""What every audit trail shares: where a change came from (the portal, /oauth/register.php, the
Django admin, the command line, RFC 7591 registration, a Client ID Metadata Document), from
which address, and the columns every audit row writes from them (audit_columns: the App trail's
AuditEvent and the accounts' AccountEvent)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.http import HttpRequest

from .middleware import client_ip


class AuditSource(models.TextChoices):
    PORTAL = "portal", "Portal"
    REGISTER = "register", "/oauth/register.php"
    ADMIN = "admin", "Django admin"
    CLI = "cli", "Command line"
    # RFC 7591/7592: /oauth/register and its client configuration endpoint.
    REGISTRATION = "registration", "Registration (RFC 7591)"
    # A Client ID Metadata Document fetched at authorize.php or the token endpoint.
    METADATA_DOCUMENT = "metadata", "Client ID Metadata Document"


@dataclass(frozen=True)
class Origin:
    """Where a change came from, for the audit trail."""

    source: str
    ip_address: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest, source: str = AuditSource.PORTAL) -> Origin:
        return cls(source=source, ip_address=client_ip(request))


COMMAND_LINE = Origin(AuditSource.CLI)


def audit_columns(*, actor, action: str, origin: Origin, details: dict | None = None) -> dict:
    """The columns of an audit row that every trail shares: who acted (the account, and its
    username, which outlives it), what they did, through which entry point, from which address,
    and the details (never a secret)."""
    return {
        "actor": actor,
        "actor_username": actor.get_username(),
        "action": action,
        "source": origin.source,
        "ip_address": origin.ip_address,
        "details": details or {},
    }
