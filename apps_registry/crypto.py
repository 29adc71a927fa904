"""App keys and secrets: generation, encryption at rest, constant-time comparison."""

import functools
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# design §3: the URL-safe alphabet keys and secrets are drawn from.
CREDENTIAL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
CREDENTIAL_LENGTH = 32


def generate_credential() -> str:
    """32 characters from a CSPRNG over A-Z a-z 0-9 - . _ ~ (an App ID/key or secret)."""
    return "".join(secrets.choice(CREDENTIAL_ALPHABET) for _ in range(CREDENTIAL_LENGTH))


def is_credential(value: str) -> bool:
    """True when `value` has the shape of a generated key or secret."""
    return len(value) == CREDENTIAL_LENGTH and all(c in CREDENTIAL_ALPHABET for c in value)


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current_fernet() -> MultiFernet:
    # Read at call time so key rotation (and tests) take effect without a restart of this module.
    return _fernet(tuple(settings.APP_SECRET_KEYS))


def encrypt_secret(plaintext: str) -> str:
    """Encrypt with the first of APP_SECRET_KEYS (Fernet: AES-128-CBC + HMAC-SHA256)."""
    return _current_fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    """Decrypt with whichever of APP_SECRET_KEYS encrypted it."""
    try:
        return _current_fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An App secret cannot be decrypted with any of APP_SECRET_KEYS; "
            "was a key removed before `manage.py rotate_app_secrets` ran?"
        ) from None


def reencrypt_secret(ciphertext: str) -> str:
    """The same secret, encrypted again with the current (first) key."""
    return _current_fernet().rotate(ciphertext.encode()).decode()


# The key of the digests below: the process's own, drawn at start and never stored.
_DIGEST_KEY = secrets.token_bytes(32)


def _digest(value: str) -> bytes:
    return hmac.digest(_DIGEST_KEY, value.encode(), "sha256")


# At most this many stored secrets' digests remembered per process (past it, the least recently
# used is forgotten and decrypted again when presented).
REMEMBERED_SECRETS = 4096


@functools.lru_cache(maxsize=REMEMBERED_SECRETS)
def _stored_digest(keys: tuple[str, ...], ciphertext: str) -> bytes:
    """The keyed digest of the secret `ciphertext` holds (b"" for an empty one), remembered by
    ciphertext and APP_SECRET_KEYS: a secret is decrypted once per process, not on every
    request that presents it, and what is remembered is never the secret."""
    clear = decrypt_secret(ciphertext)
    return _digest(clear) if clear else b""


def encrypted_secret_matches(provided: str, ciphertext: str) -> bool:
    """Whether `provided` is the App secret stored as `ciphertext` (never an empty one),
    compared in constant time: no timing signal about how much of a guess was right. The
    keyed digests of both are compared, so the stored one is decrypted once per process
    (portal/speedups/__init__.py says what it buys and costs). What App.check_secret and the
    token endpoint's client authentication both ask."""
    stored = _stored_digest(tuple(settings.APP_SECRET_KEYS), ciphertext) if ciphertext else b""
    return bool(stored) and hmac.compare_digest(_digest(provided), stored)
