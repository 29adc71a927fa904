"""django-oauth-toolkit customisation: how a client's secret is checked."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from .crypto import secrets_equal


class Validator(OAuth2Validator):
    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        """App secrets are encrypted, not hashed: a constant-time comparison of the decrypted
        secret costs microseconds, so a flood of wrong secrets costs no password-hash work."""
        return bool(stored_secret) and secrets_equal(provided_secret, stored_secret)
