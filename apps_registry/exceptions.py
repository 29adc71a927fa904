"""The rules an App change can break, as exceptions a caller catches by type.

Each is a ValidationError (so a form shows it, and `.code` stays the stable code the README
lists); callers that answer differently per rule (the Add App form, register.php's consent,
the admin) catch the class, never a code read out of a message.
"""

from django.core.exceptions import ValidationError

from .apis import ApiKind


class ApiNotAllowed(ValidationError):
    """The owner's kind owns no App of this API (design §2: a Service Provider owns no
    UnifiedAPI App); the code is the API kind's (`unified_api_not_allowed`)."""

    def __init__(self, api: ApiKind, owner_kind: str) -> None:
        super().__init__(
            f"{owner_kind} accounts cannot own {api.label} Apps.",
            code=api.not_allowed_code,
        )


class AppLimitReached(ValidationError):
    """The owner already has APP_LIMIT_PER_ACCOUNT Apps (design §3)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "This account already owns %(limit)d Apps, the most an account may own. "
            "Remove an App before adding another.",
            code="app_limit_reached",
            params={"limit": limit},
        )


class ResourceServerNotAllowed(ValidationError):
    """Only an Administrator marks an App as a resource server (issue 13, item 7)."""

    def __init__(self) -> None:
        super().__init__(
            {
                "resource_server": ValidationError(
                    "Only an Administrator can mark an App as a resource server.",
                    code="resource_server_not_allowed",
                )
            }
        )


class DuplicateAppKey(ValidationError):
    """The App ID/key is taken: in practice, the same Add App form sent twice."""

    def __init__(self) -> None:
        super().__init__(
            {"client_id": ValidationError("An App with this App ID/key exists already.", code="unique")}
        )


class PublicClientHasNoSecret(ValidationError):
    """A public client (RFC 7591 token_endpoint_auth_method "none") has no secret to reveal or
    regenerate (issue 17)."""

    def __init__(self) -> None:
        super().__init__(
            "This App is a public client: it has no secret, and proves itself with PKCE instead.",
            code="public_client",
        )


class AppNotAuthorized(ValidationError):
    """Revoke access: the App holds no grant to act for this account (design §8)."""

    def __init__(self) -> None:
        super().__init__("This App is not authorized to act for this account.", code="app_not_authorized")


class SecretLimitReached(ValidationError):
    """An App holds at most MAX_SECRETS secrets at once (two, while it rotates)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "This App holds %(limit)d secrets already, the most it may hold. Remove the old one "
            "before adding another.",
            code="secret_limit_reached",
            params={"limit": limit},
        )


class LastSecret(ValidationError):
    """An App keeps at least one secret: the last one is replaced by Regenerate, not removed."""

    def __init__(self) -> None:
        super().__init__(
            "This is the App's only secret. Add a new one first, or regenerate it.", code="last_secret"
        )


class SecretNotFound(ValidationError):
    """No live secret of this App has that id (removed already, or another App's)."""

    def __init__(self) -> None:
        super().__init__("This App has no such secret (it may have been removed).", code="secret_not_found")
