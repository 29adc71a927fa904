"""SESSION_ENGINE = "portal.speedups.sessions": Django's database sessions, whose one read per
request (the session row by its key, unexpired) is compiled once per process
(portal.speedups.prepared.Shaped) instead of by the ORM on every request. The row is read
afresh each time, so a session ended (signed out, flushed, expired) ends at once; writes,
deletion and clearsessions are Django's own."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from .prepared import Shaped

_FIELDS = ("session_key", "session_data", "expire_date")
_ROW = Shaped(
    lambda _key, session_key, now: (
        db.SessionStore.get_model_class()
        .objects.filter(session_key=session_key, expire_date__gt=now)
        .values_list(*_FIELDS)
    ),
    named=False,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The row Django's own method reads (None, and the key forgotten, when there is no
        unexpired session of that key), as a model instance by Model.from_db."""
        rows = _ROW.rows(None, session_key=self.session_key, now=timezone.now())
        if not rows:
            self._session_key = None
            return None
        return self.model.from_db(DEFAULT_DB_ALIAS, _FIELDS, rows[0])
