"""Token values as oauthlib makes them (oauthlib.common.generate_token: 30 characters, each drawn
uniformly from its 62 letters and digits by the system's CSPRNG), from one read of os.urandom
instead of 30: oauthlib's SystemRandom().choice reads the kernel's generator once a character,
53-69 us of a client_credentials request's CPU on this machine against 14 us (row P1). django-oauth-
toolkit's own hook for it, ACCESS_TOKEN_GENERATOR (config/oauth_settings.py), so every grant's
access and refresh tokens are made here."""

from __future__ import annotations

import os

from oauthlib.common import UNICODE_ASCII_CHARACTER_SET

LENGTH = 30
# 248 = 4 x 62: a byte below it picks a character uniformly; the rest are skipped.
_LIMIT = 256 - 256 % len(UNICODE_ASCII_CHARACTER_SET)


def token_value(request=None, refresh_token: bool = False) -> str:
    """A new token value; the signature of oauthlib's token generators (request and kind unused)."""
    chars = UNICODE_ASCII_CHARACTER_SET
    picked: list[str] = []
    while len(picked) < LENGTH:
        picked.extend(chars[byte % len(chars)] for byte in os.urandom(2 * LENGTH) if byte < _LIMIT)
    return "".join(picked[:LENGTH])
