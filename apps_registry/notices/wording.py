"""What each notice says (design §3), keyed by the audit action it reports."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import AuditAction


@dataclass(frozen=True)
class Wording:
    """A notice's subject (before the App's name) and first paragraph, for one App and for a
    digest of several (a bulk action)."""

    title: str
    what: str
    what_many: str
    app_gone: bool = False  # the App no longer exists: no link to its page


NOTICES: dict[str, Wording] = {
    AuditAction.ADD_SECRET: Wording(
        "Secret added",
        "A new secret was added to the App. Each of the App's secrets works at the token endpoint "
        "until it is removed; the new one is shown only in the portal, never by e-mail.",
        "A new secret was added to each of these Apps; each new one is shown only in the portal, "
        "never by e-mail.",
    ),
    AuditAction.REMOVE_SECRET: Wording(
        "Secret removed",
        "A secret of the App was removed: it no longer works, and every token issued with it was "
        "revoked. The App's other secret and its tokens keep working.",
        "A secret of each of these Apps was removed: it no longer works, and every token issued "
        "with it was revoked.",
    ),
    AuditAction.REGENERATE_SECRET: Wording(
        "Secret regenerated",
        "The App's secret was regenerated: its previous secret no longer works, and every token "
        "and authorization code of the App was revoked. The App must use the new secret, shown "
        "only in the portal, never by e-mail.",
        "The secret of each of these Apps was regenerated: the previous secrets no longer work, and "
        "every token and authorization code of these Apps was revoked. The new secrets are shown "
        "only in the portal, never by e-mail.",
    ),
    AuditAction.DISABLE: Wording(
        "App disabled",
        "The App was disabled: it gets no token, and its tokens are refused until it is enabled again.",
        "These Apps were disabled: they get no token, and their tokens are refused until they are "
        "enabled again.",
    ),
    AuditAction.ENABLE: Wording(
        "App enabled",
        "The App was enabled again: it may get tokens, and its tokens that have not expired work again.",
        "These Apps were enabled again: they may get tokens, and their tokens that have not expired "
        "work again.",
    ),
    AuditAction.REMOVE: Wording(
        "App removed",
        "The App was removed, with every token and authorization code it held. This cannot be undone.",
        "These Apps were removed, with every token and authorization code they held. This cannot be undone.",
        app_gone=True,
    ),
}
