"""How Jieban logs: JSON lines or text on stderr (`JIEBAN_LOG_FORMAT`), every record made while
a request is handled carrying that request's id, every record of a worker carrying the
worker's name; one access line per request (`jieban.access`); a refused request (4xx) on one
line, a server error with its traceback.

The request id comes from the request's `X-Request-ID` when a proxy or client sent a
well-formed one (up to 64 letters, digits, `-`, `_`, `.`, `:`), so that one id follows a request
through the proxy's log and Jieban's; otherwise it is made here (a uuid4's hex). It is answered
in the response's `X-Request-ID` (`jieban.http.ObserveRequests`).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# The request being handled, and the worker this process is (`host:pid`): empty when none.
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
WORKER: ContextVar[str] = ContextVar("worker", default="")
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_for(incoming: str | None) -> str:
    """The id of a request that sent `incoming` as its X-Request-ID: that one when it is
    well-formed, else a new one. A longer or stranger id could carry a forged log line."""
    if incoming and WELL_FORMED_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def begin_request(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """`request_started`: the request's id, for every record until its answer is sent."""
    REQUEST_ID.set(request_id_for((environ or {}).get("HTTP_X_REQUEST_ID")))


def end_request(sender: Any, **kwargs: Any) -> None:
    """`request_finished` (the answer sent): no request is being handled."""
    REQUEST_ID.set("")


class LogContext(logging.Filter):
    """Puts the request id and the worker's name, where there is one, on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in (("request_id", REQUEST_ID), ("worker", WORKER)):
            value = variable.get()
            if value and not getattr(record, name, None):
                setattr(record, name, value)
        return True


class ClientErrorsOnOneLine(logging.Filter):
    """Django logs a 403 or 404 with the exception that made it, traceback and all; that is the
    client's doing, not a fault to debug: keep the line ("Forbidden (Permission denied): /…"),
    drop the traceback. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class TextFormatter(logging.Formatter):
    """One line for people: time, level, logger, [worker] [request id], message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        context = (getattr(record, "worker", None), getattr(record, "request_id", None))
        record.context = "".join(f" [{value}]" for value in context if value)
        return super().format(record)


# Django puts the request object itself on its request log records; its text repr holds the
# query string, where a phone number may be. The route and status are on the access line.
NOT_LOGGED = {*RESERVED_ATTRS, "request", "context"}


def json_formatter() -> JsonFormatter:
    """One JSON object a line for machines: `time` (UTC, ISO 8601), `level`, `logger`,
    `message`, and the record's fields: `request_id`, `worker`, the access line's `method`,
    `route`, `path`, `status`, `duration_ms`, `user_id`; `exc_info` for a traceback."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=sorted(NOT_LOGGED),
        json_ensure_ascii=False,
    )


def logging_config(*, log_format: str, level: str, requests: bool) -> dict[str, Any]:
    """Django's LOGGING: everything to stderr in `log_format` ("json" or "text") from `level` up;
    the access lines (`jieban.access`) and the worker's lines (`jieban.worker`) from INFO up,
    the access lines only when `requests`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "client_errors": {"()": "jieban.request_log.ClientErrorsOnOneLine"},
            "context": {"()": "jieban.request_log.LogContext"},
        },
        "formatters": {
            "text": {"()": "jieban.request_log.TextFormatter"},
            "json": {"()": "jieban.request_log.json_formatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["client_errors", "context"],
                "formatter": log_format,
            }
        },
        "loggers": {
            "jieban.access": {"level": "INFO" if requests else "WARNING"},
            "jieban.worker": {"level": "INFO"},
        },
        "root": {"handlers": ["console"], "level": level},
    }
