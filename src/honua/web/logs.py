"""Log lines: JSON or text, each carrying the id of the request it belongs to.

The request id lives in a context variable set by ``web.request_log`` for the time of
one request; ``install_request_ids`` (called by ``create_app``) makes every log
record carry it as ``request_id`` whichever module logged (the core's job log, the
stores, the adapters) and whichever handler writes it -- a record factory rather
than a handler filter, so pytest's ``caplog`` and a host application's handlers
see it too. Threads started through Starlette's ``run_in_threadpool`` see the id
because contextvars travel with them. ``JsonFormatter`` writes one JSON object a line
with the standard fields and every ``extra`` a caller passed (``job_id``,
``process``, ``status``...), so a log shipper needs no parsing rules.
``configure_logging`` installs one handler on the ``honua`` logger and on uvicorn's,
as ``settings.log_format`` says.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

from honua.settings import Settings

__all__ = ["JsonFormatter", "RequestIdFilter", "TextFormatter", "configure_logging",
           "current_request_id", "install_request_ids", "request_id_var"]

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("honua_request_id",
                                                                     default="")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "taskName"}
FORMATS = ("text", "json")


def current_request_id() -> str:
    return request_id_var.get()


_installed = False


def install_request_ids() -> None:
    """Make every ``LogRecord`` created from now on carry ``request_id`` (once per
    process; the factory in place before is kept and called first)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return record

    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "") on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id,
    the caller's extras, and the traceback of an exception as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``LEVEL logger [request id] message key=value...`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", "")
        extras = " ".join(f"{key}={value}" for key, value in _extras(record).items())
        line = (f"{record.levelname:<8} {record.name}"
                f"{f' [{request_id}]' if request_id else ''}: {record.getMessage()}"
                f"{f'  {extras}' if extras else ''}")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send the ``honua`` and ``uvicorn`` loggers to ``stream`` (stderr) in the chosen
    format; returns the handler (tests remove it again)."""
    if settings.log_format not in FORMATS:
        raise ValueError(f"log_format must be one of {', '.join(FORMATS)}, "
                         f"not {settings.log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    install_request_ids()
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log_level {settings.log_level!r}")
    for name in ("honua", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    return handler
