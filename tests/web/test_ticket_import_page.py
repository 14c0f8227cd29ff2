"""The import pages (`/imports/`): a source's columns are mapped once; an uploaded sheet is
checked and its wrong cells listed with nothing written; a clean one shows its counts and a
confirm button; a short import is written at once, a long one by the worker while the page
(and its htmx panel) shows the progress; the same file again says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jieban.exchange.imports import run_due_imports
from jieban.exchange.models import ImportSource, TicketImport
from jieban.tickets.models import Ticket
from tests.conftest import Cast, local
from tests.ticket_sheets import SOURCE, csv_file, make_source, row, xlsx

NOW = local(2026, 3, 11, 10)


@pytest.fixture(autouse=True)
def _at_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def upload(client: Client, content: bytes, name: str = "工单.xlsx") -> Any:
    return client.post(
        "/imports/", {"source": SOURCE, "file": SimpleUploadedFile(name, content)}, follow=True
    )


def test_a_dispatcher_maps_a_source_once(client: Client, cast: Cast) -> None:
    client.force_login(cast.dispatcher)
    page = client.get("/imports/").content.decode()
    assert 'data-testid="menu-imports"' in page
    form = client.get("/imports/sources/new/").content.decode()
    assert 'value="工单编号"' in form  # the usual header, to start from
    data = {"name": SOURCE, "channel": "hotline_12345", "column_order_number": "单号",
            "column_content": "内容", "column_received_at": "受理时间"}  # fmt: skip
    answer = client.post("/imports/sources/new/", data)
    assert answer.status_code == 302
    source = ImportSource.objects.get(name=SOURCE)
    assert source.mapping == {"order_number": "单号", "content": "内容", "received_at": "受理时间"}
    data["column_content"] = "单号"
    again = client.post(f"/imports/sources/{SOURCE}/", data)
    assert again.status_code == 400
    assert "列 单号 已对应到“工单编号”" in again.content.decode()


def test_it_shows_the_wrong_cells_and_writes_nothing(client: Client, cast: Cast) -> None:
    make_source()
    client.force_login(cast.dispatcher)
    answer = upload(client, xlsx([row("1"), row("2", category="no_such", received_at="昨天")]))
    page = answer.content.decode()
    assert answer.redirect_chain[0][1] == 302
    assert 'data-testid="import-errors"' in page
    assert '<tr data-row="3">' in page and "no_such" in page and "昨天" in page
    assert 'data-testid="import-confirm"' not in page
    assert not Ticket.objects.exists()
    record = TicketImport.objects.get()
    refused = client.post(f"/imports/{record.pk}/confirm/", follow=True)
    assert "请改正后重新上传" in refused.content.decode()
    assert not Ticket.objects.exists()


def test_it_imports_a_clean_sheet_once_confirmed(client: Client, cast: Cast) -> None:
    make_source()
    client.force_login(cast.dispatcher)
    content = csv_file([row("1"), row("2")], encoding="gbk")
    page = upload(client, content, "工单.csv").content.decode()
    assert 'data-testid="import-summary"' in page and "2" in page
    assert not Ticket.objects.exists()
    record = TicketImport.objects.get()
    done = client.post(f"/imports/{record.pk}/confirm/", follow=True).content.decode()
    assert 'data-state="done"' in done
    assert Ticket.objects.filter(registered_by=cast.dispatcher).count() == 2
    again = upload(client, content, "工单.csv").content.decode()
    assert "此文件已从 city-12345 导入过" in again
    assert Ticket.objects.count() == 2 and TicketImport.objects.count() == 1


def test_a_long_import_runs_in_the_worker_and_its_panel_polls(client: Client, cast: Cast) -> None:
    make_source()
    client.force_login(cast.dispatcher)
    upload(client, xlsx([row(str(number), unit="", due_at="") for number in range(501)]))
    record = TicketImport.objects.get()
    page = client.post(f"/imports/{record.pk}/confirm/", follow=True).content.decode()
    assert 'data-state="confirmed"' in page and 'hx-trigger="every 2s"' in page
    assert 'data-testid="import-progress"' in page
    assert not Ticket.objects.exists()
    run_due_imports(NOW)
    panel = client.get(f"/imports/{record.pk}/", headers={"HX-Request": "true"})
    text = panel.content.decode()
    assert text.startswith('<section id="import-panel"')
    assert 'data-state="done"' in text and "hx-trigger" not in text
    assert Ticket.objects.count() == 501


def test_the_upload_form_says_what_is_wrong_with_the_file(client: Client, cast: Cast) -> None:
    make_source()
    client.force_login(cast.dispatcher)
    answer = upload(client, b"\xd0\xcf\x11\xe0 old")
    assert answer.status_code == 400
    assert ".xls" in answer.content.decode()


def test_the_pages_are_the_dispatchers_only(client: Client, cast: Cast) -> None:
    make_source()
    client.force_login(cast.supervisor)
    assert client.get("/imports/").status_code == 403
    assert client.get(f"/imports/sources/{SOURCE}/").status_code == 403
    assert 'data-testid="menu-imports"' not in client.get("/").content.decode()
