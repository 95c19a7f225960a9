"""JSON log lines (``LOG_FORMAT=json``): one object per line with a fixed set of keys.

Only the fields below are written, never arbitrary record attributes (Django attaches the request, with
its address, headers and POST data, to some records). Text is scrubbed by ``respite.core.logging``'s
PrivacyFilter on the handler, and scrubbed again here so the formatter is safe on a handler without it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from respite.core.logging import scrub


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = scrub(record.exc_text)
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)
