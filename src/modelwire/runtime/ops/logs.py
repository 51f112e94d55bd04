"""Log set-up for ``modelwire serve``: plain text for a terminal, JSON lines
for log collectors. Every module logs through ``logging.getLogger(__name__)``;
fields given with ``extra=`` (method, model id, status, duration) become keys
of the JSON object.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: attributes every LogRecord has; anything else came through ``extra=``
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Sends every log record to stderr in ``fmt``, replacing earlier handlers."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def failed_call(
    logger: logging.Logger,
    protocol: str,
    method: str,
    model_id: str | None,
    status: str,
    seconds: float,
) -> None:
    """The one line logged for a failed request."""
    duration_ms = round(seconds * 1000, 1)
    logger.info(
        "%s %s model=%s status=%s %.1f ms",
        protocol,
        method,
        model_id,
        status,
        duration_ms,
        extra={
            "protocol": protocol,
            "method": method,
            "model_id": model_id,
            "status": status,
            "duration_ms": duration_ms,
        },
    )
