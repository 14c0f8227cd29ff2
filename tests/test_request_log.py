"""A refused request is one line in the server's log; a server error keeps its traceback. Each
request has an id, from its X-Request-ID when well-formed, answered and on every record made
while it is handled; one access line per request; the worker's records name the worker."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator

import pytest
from django.test import Client

from jieban.request_log import ClientErrorsOnOneLine, TextFormatter, json_formatter
from jieban.worker.runner import Worker, worker_name
from tests.conftest import Cast


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """What the configured console handler would write for django.request, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    configured = next(
        h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)
    )
    for item in configured.filters:
        handler.addFilter(item)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_the_console_handler_carries_the_filter() -> None:
    configured = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    assert any(isinstance(item, ClientErrorsOnOneLine) for h in configured for item in h.filters)


def test_a_403_and_a_404_are_one_line_each(cast: Cast, log: io.StringIO) -> None:
    client = Client()
    client.force_login(cast.handler_a)
    assert client.get("/reports/").status_code == 403
    assert client.get("/tickets/JB20000101-9999/").status_code == 404
    text = log.getvalue()
    assert "Forbidden" in text and "Not Found" in text
    assert "Traceback" not in text
    assert len([line for line in text.splitlines() if line.strip()]) >= 2


def test_a_server_error_keeps_its_traceback() -> None:
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    record.status_code = 500
    assert ClientErrorsOnOneLine().filter(record) and record.exc_info is not None
    record.status_code = 403
    assert ClientErrorsOnOneLine().filter(record) and record.exc_info is None


# --- Request ids and the access line ---------------------------------------------------------


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """The records the configured console handler would write, from every logger, after its
    filters ran (the request id is the filter's doing)."""
    caught: list[logging.LogRecord] = []
    configured = next(
        h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)
    )

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caught.append(record)

    handler = Catch()
    for item in configured.filters:
        handler.addFilter(item)
    root = logging.getLogger()
    root.addHandler(handler)
    yield caught
    root.removeHandler(handler)


def access_lines(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [record for record in records if record.name == "jieban.access"]


def test_a_well_formed_request_id_is_kept_and_answered(
    cast: Cast, records: list[logging.LogRecord]
) -> None:
    client = Client()
    client.force_login(cast.handler_a)
    response = client.get("/tickets/JB20000101-9999/", HTTP_X_REQUEST_ID="lb-7f3a.42:9_x")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb-7f3a.42:9_x"
    # Every record made while handling it carries it: Django's "Not Found", the access line.
    not_found = [record for record in records if record.name == "django.request"]
    assert [record.request_id for record in not_found] == ["lb-7f3a.42:9_x"]  # type: ignore[attr-defined]
    (line,) = access_lines(records)
    assert (
        line.__dict__.items()
        >= {
            "request_id": "lb-7f3a.42:9_x",
            "method": "GET",
            "route": "/tickets/<str:number>/",
            "path": "/tickets/JB20000101-9999/",
            "status": 404,
            "user_id": cast.handler_a.pk,
        }.items()
    )
    assert isinstance(line.duration_ms, float)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "incoming",
    ["", "has space", "new\nline", "x" * 65, "semi;colon", "引号", None],
)
@pytest.mark.django_db
def test_a_missing_or_malformed_request_id_is_replaced(
    incoming: str | None, records: list[logging.LogRecord]
) -> None:
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    response = Client().get("/login/", **headers)
    assert response.status_code == 200
    made = response["X-Request-ID"]
    assert re.fullmatch("[0-9a-f]{32}", made)
    (line,) = access_lines(records)
    assert line.request_id == made  # type: ignore[attr-defined]
    assert line.user_id is None  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_each_request_has_its_own_id(records: list[logging.LogRecord]) -> None:
    client = Client()
    first, second = client.get("/login/"), client.get("/login/")
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert [line.request_id for line in access_lines(records)] == [  # type: ignore[attr-defined]
        first["X-Request-ID"],
        second["X-Request-ID"],
    ]
    # Outside a request, a record carries none.
    logging.getLogger("jieban.test").warning("between requests")
    assert not hasattr(records[-1], "request_id")


def test_the_json_format_is_one_object_a_line_with_the_context() -> None:
    record = logging.LogRecord("jieban.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.request_id = "abc"
    record.status = 200
    record.request = object()  # Django's own, whose text holds the query string: left out
    line = json_formatter().format(record)
    assert "\n" not in line
    fields = json.loads(line)
    assert fields["message"] == "GET /x"
    assert (fields["level"], fields["logger"]) == ("INFO", "jieban.access")
    assert (fields["request_id"], fields["status"]) == ("abc", 200)
    assert fields["time"].endswith("+00:00")
    assert "request" not in fields


def test_the_text_format_shows_the_worker_and_the_request_id() -> None:
    record = logging.LogRecord("jieban.worker", logging.INFO, __file__, 1, "swept", (), None)
    record.worker = "node-1:42"
    assert TextFormatter().format(record).endswith(" INFO jieban.worker [node-1:42] swept")


def test_the_workers_records_name_it(records: list[logging.LogRecord]) -> None:
    worker = Worker(interval=3600, write=logging.getLogger("jieban.worker").info)
    worker.stop()
    worker.run()
    lines = [record for record in records if record.name == "jieban.worker"]
    assert [record.getMessage() for record in lines][-1] == "worker: stopped"
    assert {record.worker for record in lines} == {worker_name()}  # type: ignore[attr-defined]
