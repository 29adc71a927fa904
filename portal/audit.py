"""What every audit trail shares: where a change came from (the portal, /oauth/register.php,
the Django admin, the command line, RFC 7591 registration) and from which address."""

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


@dataclass(frozen=True)
class Origin:
    """Where a change came from, for the audit trail."""

    source: str
    ip_address: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest, source: str = AuditSource.PORTAL) -> Origin:
        return cls(source=source, ip_address=client_ip(request))


COMMAND_LINE = Origin(AuditSource.CLI)
