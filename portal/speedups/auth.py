"""Django's ModelBackend (the backend the portal's sessions name), with the read each signed-in
request makes (the session's account by its key: ModelBackend.get_user) compiled once per
process (portal.speedups.prepared.Shaped) instead of by the ORM on every request. The row is
read afresh each time and `user_can_authenticate` decides as before, so a deactivated or removed
account is signed out on its next request; signing in (`authenticate`, django-axes' lockout
first) is Django's own."""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.db import DEFAULT_DB_ALIAS, connection

from .prepared import Shaped


def _fields() -> tuple:
    return tuple(get_user_model()._meta.concrete_fields)


_ROW = Shaped(
    lambda _key, pk: (
        get_user_model()._default_manager.filter(pk=pk).values_list(*(field.attname for field in _fields()))
    ),
    named=False,
)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        """ModelBackend.get_user's answer: the account, or None when missing or unable to sign in."""
        model = get_user_model()
        low, high = connection.ops.integer_field_range(model._meta.pk.get_internal_type())
        if (
            not isinstance(user_id, int)
            or (low is not None and user_id < low)
            or (high is not None and user_id > high)
        ):
            return super().get_user(user_id)
        rows = _ROW.rows(None, pk=user_id)
        if not rows:
            return None
        user = model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in _fields()], rows[0])
        return user if self.user_can_authenticate(user) else None
