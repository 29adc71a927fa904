"""Signals sent by the account services, for the layers above accounts to act on."""

from django.dispatch import Signal

# Sent by accounts.services.account_set_active inside its transaction when an account is
# deactivated, with `account`, `actor` and `origin`. Receivers revoke what the account holds
# (tokens, codes); whatever they raise rolls the deactivation back.
account_deactivated = Signal()
