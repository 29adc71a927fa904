"""The stored App secrets decrypt with APP_SECRET_KEYS (issue 27, finding 10): a valid but wrong
key (a restore, a typo during rotation) passed every check and then failed every token request
with an App secret. Readiness (/readyz, ops.health) and `check --deploy --database default`
read the newest live secrets and fail when none of them decrypts."""

from __future__ import annotations

from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from .crypto import decrypt_secret

# The newest live secrets tried: one that decrypts shows the keys are the ones in use; a few,
# so that one row written with a key since removed on purpose does not fail the check alone.
SAMPLE = 3
PROBLEM = (
    "No stored App secret decrypts with APP_SECRET_KEYS: the keys are not the ones the secrets "
    "were encrypted with (a restore, or a key replaced rather than added during rotation)."
)


def secrets_problem() -> str | None:
    """PROBLEM when the newest live App secrets exist and none decrypts, else None. One query."""
    from .models import AppSecret

    stored = list(
        AppSecret.objects.live()
        .order_by("-created", "-pk")
        .values_list("encrypted_secret", flat=True)[:SAMPLE]
    )
    for ciphertext in stored:
        try:
            decrypt_secret(ciphertext)
        except ImproperlyConfigured:
            continue
        return None
    return PROBLEM if stored else None


@register(Tags.database, deploy=True)
def secrets_decrypt(app_configs, databases=None, **kwargs) -> list[Error]:
    """`check --deploy --database default` (which migrate runs too): secrets_problem."""
    if not databases:
        return []
    problem = secrets_problem()
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint="Put back the key the secrets were encrypted with (APP_SECRET_KEYS keeps old keys "
            "after the new one while `manage.py rotate_app_secrets` runs; docs/deployment.md, section 6).",
            id="apps_registry.E001",
        )
    ]
