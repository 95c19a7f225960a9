"""Database sessions whose expiry is kept to the hour.

Django stores ``expire_date`` to the microsecond, which is the moment of the worker's last request plus
the session age: a fine timestamp of worker activity in ``django_session``. Here it is rounded *up* to
the next whole hour (a session lasts between 8 and 9 hours on the server; the browser's cookie still
ends after 8), so the table says at most the hour. ``clear_sessions`` purges expired rows hourly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore

from respite.core.fields import coarsen


class SessionStore(DBStore):
    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj = super().create_model_instance(data)
        expire = coarsen(obj.expire_date, "hour")
        if expire is not None:
            obj.expire_date = expire + timedelta(hours=1)
        return obj
