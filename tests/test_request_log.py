"""A refused request is one line in the server's log; a server error keeps its traceback."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.test import Client

from jieban.request_log import ClientErrorsOnOneLine
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
