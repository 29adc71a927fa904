"""What the OAuth server writes to an account's audit trail: its actions on an account (RFC 7591
initial access tokens, oauth.services; the hosts of metadata documents it refuses,
oauth/client_metadata/hosts.py). Declared here, where they happen; the accounts' trail lists
them through OAuthConfig.account_actions (accounts.models.account_action_choices), so accounts
imports nothing from oauth."""

from django.db import models


class OAuthAccountAction(models.TextChoices):
    IAT_CREATE = "iat_create", "Initial access token created"
    IAT_REVOKE = "iat_revoke", "Initial access token revoked"
    # Client ID Metadata Documents (oauth/client_metadata/hosts.py).
    HOST_REFUSE = "metadata_host_refuse", "Metadata document host refused"
    HOST_ALLOW = "metadata_host_allow", "Metadata document host allowed again"
