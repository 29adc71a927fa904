"""The account hierarchy of design §2: Administrator > Service Provider > Organization > User."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.audit import AuditSource
from portal.speedups.urls import reverse

# The kinds are plain declarations (accounts.kinds), importable from here as before.
from .kinds import ALLOWED_PARENT_KINDS, Kind, child_kinds
from .validators import validate_phone, validate_single_line


def _depth_below(kind: str) -> int:
    """How many levels can lie below an account of `kind`: the longest chain of child kinds."""
    return max((1 + _depth_below(child) for child in child_kinds(kind)), default=0)


# Derived from ALLOWED_PARENT_KINDS: Administrator 3, Service Provider 2, Organization 1, User 0.
_DEPTH_BELOW: dict[str, int] = {kind: _depth_below(kind) for kind in Kind.values}


class AccountQuerySet(models.QuerySet):
    def manageable_by(self, actor) -> AccountQuerySet:
        """The actor's own account and every account below it, in one query.

        The hierarchy is at most four levels deep (design §2, enforced by the database),
        so the subtree is a fixed number of parent hops, never a walk that grows with depth.
        """
        if not getattr(actor, "is_authenticated", False) or not actor.is_active:
            return self.none()
        condition = Q(pk=actor.pk)
        lookup = "parent"
        for _ in range(_DEPTH_BELOW[actor.kind]):
            condition |= Q(**{f"{lookup}_id": actor.pk})
            lookup = f"{lookup}__parent"
        return self.filter(condition)


class AccountManager(BaseUserManager.from_queryset(AccountQuerySet)):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields) -> Account:
        account = self.model(username=self.model.normalize_username(username), **fields)
        account.email = self.normalize_email(account.email)
        account.set_password(password)
        account.full_clean(exclude=["password"])
        account.save(using=self._db)
        return account

    def create_superuser(self, username: str, password: str | None = None, **fields) -> Account:
        """`manage.py createsuperuser`: a root Administrator with every Django permission."""
        fields.pop("is_staff", None)
        fields.update(kind=Kind.ADMINISTRATOR, parent=None, is_superuser=True)
        fields.setdefault("name", username)
        return self.create_user(username, password, **fields)


class Account(AbstractBaseUser, PermissionsMixin):
    """One login per account; its kind and parent place it in the hierarchy."""

    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @/./+/-/_ only; used to sign in.",
        error_messages={"unique": "An account with that username already exists."},
    )
    kind = models.CharField("kind", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="parent account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField("name", max_length=255, validators=[validate_single_line])
    email = models.EmailField("e-mail")
    phone = models.CharField("phone", max_length=32, blank=True, validators=[validate_phone])
    is_active = models.BooleanField("active", default=True)
    date_joined = models.DateTimeField("created", default=timezone.now)

    objects = AccountManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = "account"
        verbose_name_plural = "accounts"
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values),
                name="account_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind=Kind.ADMINISTRATOR) & Q(parent__isnull=True))
                | (~Q(kind=Kind.ADMINISTRATOR) & Q(parent__isnull=False)),
                name="account_only_administrators_are_roots",
                violation_error_message="Administrators have no parent; every other account has one.",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        """Administrators use the Django admin; every other kind uses the portal pages."""
        return self.kind == Kind.ADMINISTRATOR

    @property
    def child_kinds(self) -> list[str]:
        return child_kinds(self.kind)

    def get_absolute_url(self) -> str:
        return reverse("accounts:detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        allowed = ALLOWED_PARENT_KINDS.get(self.kind)
        if allowed is None:
            return  # the field's own choices validation reports it
        parent = self.parent if self.parent_id else None
        if not allowed and parent is not None:
            raise ValidationError(
                {"parent": ValidationError("An Administrator has no parent account.", code="invalid_parent")}
            )
        if allowed and parent is None:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        "A %(kind)s account needs a parent account.",
                        code="parent_required",
                        params={"kind": self.get_kind_display()},
                    )
                }
            )
        if parent is not None and parent.kind not in allowed:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        "A %(kind)s account cannot be placed under a %(parent_kind)s.",
                        code="invalid_parent",
                        params={"kind": self.get_kind_display(), "parent_kind": parent.get_kind_display()},
                    )
                }
            )


class AccountAction(models.TextChoices):
    CREATE = "create", "Account added"
    UPDATE = "update", "Account edited"
    DEACTIVATE = "deactivate", "Account deactivated"
    REACTIVATE = "reactivate", "Account reactivated"
    LINK_IDENTITY = "link_identity", "Identity linked"
    UNLINK_IDENTITY = "unlink_identity", "Identity unlinked"


def account_action_choices() -> list[tuple[str, str]]:
    """AccountEvent.action's choices: the accounts' own actions (AccountAction), then those each
    installed app declares on its AppConfig as `account_actions` (a TextChoices: oauth's initial
    access tokens, oauth/audit.py), in the order of INSTALLED_APPS. An app above audits what it
    does to an account without accounts importing it, and adds an action without a migration."""
    choices = list(AccountAction.choices)
    for config in apps.get_app_configs():
        contributed = getattr(config, "account_actions", None)
        if contributed is not None:
            choices += contributed.choices
    return choices


class AccountEvent(models.Model):
    """Who changed which account, when and from where. Never a password or a secret.

    The account and its parent at the time are both kept, so the event shows on the trail of
    either; the usernames are copied so the row outlives the accounts it names.
    """

    created = models.DateTimeField("when", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        Account, verbose_name="who", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField("who (username)", max_length=150)
    account = models.ForeignKey(
        Account,
        verbose_name="account",
        null=True,
        on_delete=models.SET_NULL,
        related_name="account_events",
    )
    account_username = models.CharField("account (username)", max_length=150)
    parent = models.ForeignKey(
        Account,
        verbose_name="parent account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("action", max_length=20, choices=account_action_choices)
    source = models.CharField("through", max_length=20, choices=AuditSource.choices)
    ip_address = models.GenericIPAddressField("from address", null=True, blank=True)
    details = models.JSONField("details", default=dict, blank=True)

    class Meta:
        verbose_name = "account event"
        verbose_name_plural = "account events"
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(fields=["account", "-created"], name="account_event_account_created"),
            models.Index(fields=["parent", "-created"], name="account_event_parent_created"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_username}: {self.get_action_display().lower()} ({self.account_username})"
