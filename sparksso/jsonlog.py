"""LOG_FORMAT=json (the production default): every log record as one JSON object on one line."""

import json
import logging
from datetime import UTC, datetime

# Extra fields a record may carry (sparksso.request_log); anything else on the record, such as
# Django's `request` object, is left out rather than stringified.
EXTRA_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "ip")


class JsonFormatter(logging.Formatter):
    """time, level, logger, pid (which worker), message, the request fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for field in EXTRA_FIELDS:
            if hasattr(record, field):
                data[field] = getattr(record, field)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)
