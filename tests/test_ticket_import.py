"""Ticket imports from Excel and CSV (`jieban.exchange.imports`): the check lists every wrong
cell and writes nothing; a confirmed import writes each row once through the intake, whatever
the file's encoding and the dates' format; the same file or order number again adds nothing;
a long import runs in the worker's job, chunk by chunk, and resumes where it stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import Workbook

from jieban.errors import Conflict, Forbidden, InvalidInput
from jieban.exchange import imports
from jieban.exchange.imports import check_file, confirm_import, record_check, run_due_imports
from jieban.exchange.jobs import run_imports
from jieban.exchange.models import ImportState, TicketImport
from jieban.org.actors import SYSTEM
from jieban.org.permissions import can_import_tickets
from jieban.tickets.models import Status, Ticket
from tests.conftest import Cast, local
from tests.ticket_sheets import SOURCE, csv_file, make_source, row, xlsx

NOW = local(2026, 3, 11, 10)


@pytest.fixture(autouse=True)
def _at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def checked(content: bytes, by: Any, name: str = "工单.xlsx") -> imports.ImportCheck:
    return check_file(content, file_name=name, source=SOURCE, by=by)


def imported(content: bytes, by: Any, name: str = "工单.xlsx") -> TicketImport:
    record = record_check(checked(content, by, name), by=by)
    return confirm_import(record.pk, by=by)


def test_it_imports_checked_rows_as_dispatched_tickets_of_the_sources_channel(cast: Cast) -> None:
    make_source()
    content = xlsx([row("A-1"), row("A-2", unit="", due_at="", category="")])
    check = checked(content, cast.dispatcher)
    assert (check.errors, check.rows_total, check.existing) == ([], 2, 0)
    assert not Ticket.objects.exists()  # the check writes nothing
    record = imported(content, cast.dispatcher)
    assert (record.state, record.created_count, record.existing_count) == ("done", 2, 0)
    first = Ticket.objects.get(external_id=f"{SOURCE}:A-1")
    assert first.channel == "hotline_12345"
    assert first.status == Status.DISPATCHED
    assert first.unit is not None and first.unit.code == "PS-A"
    assert first.received_at == local(2026, 3, 10, 9, 5)
    assert first.due_at == dt.datetime(2026, 3, 17, 23, 59, 59, tzinfo=NOW.tzinfo)
    assert first.registered_by == cast.dispatcher
    second = Ticket.objects.get(external_id=f"{SOURCE}:A-2")
    assert (second.status, second.category.code) == (Status.NEW, "other")


def test_it_lists_every_wrong_cell_and_writes_nothing(cast: Cast) -> None:
    make_source()
    content = xlsx(
        [
            row("B-1"),
            row("B-2", content="", category="no_such"),
            row("B-3", received_at="2026/2/30 9:00", unit="XX"),
            row("B-4", resident_phone="call me", address="幸福路" * 101),
            row("B-5", title="标" * 201, due_at="0001-01-01"),
            row("B-6", received_at="9999-12-31 10:00"),
            row("B-1"),
            row("", due_at="2026/3/1"),
            row("B-8", received_at="", due_at="2026/3/1"),
        ]
    )
    check = checked(content, cast.dispatcher)
    found = {(error.row, error.column) for error in check.errors}
    assert found == {
        (3, "诉求内容"), (3, "类别编码"),
        (4, "受理时间"), (4, "承办单位编码"),
        (5, "来电号码"), (5, "地址"),
        (6, "标题"), (6, "办理时限"),
        (7, "受理时间"),
        (8, "工单编号"),
        (9, "工单编号"), (9, "办理时限"),
        (10, "办理时限"),
    }  # fmt: skip
    messages = {(error.row, error.column): error.message for error in check.errors}
    assert "no_such" in messages[(3, "类别编码")]
    assert "2026/2/30" in messages[(4, "受理时间")]
    assert "300" in messages[(5, "地址")]
    assert "2000-01-01" in messages[(6, "办理时限")]
    assert "第 2 行" in messages[(8, "工单编号")]
    record = record_check(check, by=cast.dispatcher)
    assert (record.state, record.error_count, record.rows) == ("checked", 13, [])
    with pytest.raises(Conflict):
        confirm_import(record.pk, by=cast.dispatcher)
    assert not Ticket.objects.exists()


def test_it_refuses_control_characters_in_a_csv_file(cast: Cast) -> None:
    make_source()
    content = csv_file([row("K-1", address="幸福路\x07 3 号", resident_name="张\x1b三")])
    check = checked(content, cast.dispatcher, name="工单.csv")
    messages = {(error.row, error.column): error.message for error in check.errors}
    assert "U+0007" in messages[(2, "地址")]
    assert "U+001B" in messages[(2, "来电人")]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026/7/14 9:05", dt.datetime(2026, 7, 14, 9, 5)),
        ("2026-07-14 09:05", dt.datetime(2026, 7, 14, 9, 5)),
        ("2026-07-14 09:05:30", dt.datetime(2026, 7, 14, 9, 5, 30)),
        ("2026年7月14日", dt.datetime(2026, 7, 14)),
        ("2026年7月14日 9时5分", dt.datetime(2026, 7, 14, 9, 5)),
        ("2026.7.14", dt.datetime(2026, 7, 14)),
        ("46217.378472222", dt.datetime(2026, 7, 14, 9, 5)),
        (46217.378472222, dt.datetime(2026, 7, 14, 9, 5)),
        (46217, dt.datetime(2026, 7, 14)),
        (dt.datetime(2026, 7, 14, 9, 5), dt.datetime(2026, 7, 14, 9, 5)),
        (dt.date(2026, 7, 14), dt.datetime(2026, 7, 14)),
    ],
)
def test_it_reads_every_date_format_of_chinese_sheets(
    cast: Cast, written: Any, expected: dt.datetime
) -> None:
    make_source()
    with time_machine.travel(local(2026, 7, 20, 10), tick=False):
        record = imported(xlsx([row("D-1", received_at=written, due_at="2026/7/30")]), cast.admin)
    assert record.created_count == 1
    ticket = Ticket.objects.get()
    assert ticket.received_at == expected.replace(tzinfo=NOW.tzinfo)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_csv_in_utf8_with_or_without_bom_and_gbk(cast: Cast, encoding: str) -> None:
    make_source()
    content = csv_file([row("C-1", resident_name="欧阳娜娜"), row("C-2")], encoding=encoding)
    record = imported(content, cast.dispatcher, name="工单.csv")
    assert record.created_count == 2
    assert Ticket.objects.get(external_id=f"{SOURCE}:C-1").resident_name == "欧阳娜娜"


def test_it_imports_the_same_file_once(cast: Cast) -> None:
    make_source()
    content = xlsx([row("S-1"), row("S-2")])
    first = imported(content, cast.dispatcher)
    again = checked(content, cast.dispatcher)
    assert again.already_imported and again.previous == first
    assert record_check(again, by=cast.dispatcher) == first
    with pytest.raises(Conflict):
        confirm_import(first.pk, by=cast.dispatcher)
    assert Ticket.objects.count() == 2
    assert TicketImport.objects.count() == 1


def test_it_skips_an_order_number_another_file_brought(cast: Cast) -> None:
    make_source()
    imported(xlsx([row("O-1"), row("O-2")]), cast.dispatcher)
    content = xlsx([row("O-2", content="同一工单再次导出"), row("O-3")])
    check = checked(content, cast.dispatcher, name="第二批.xlsx")
    assert (check.rows_total, check.existing) == (2, 1)
    record = confirm_import(record_check(check, by=cast.dispatcher).pk, by=cast.dispatcher)
    assert (record.created_count, record.existing_count) == (1, 1)
    assert Ticket.objects.count() == 3
    assert Ticket.objects.get(external_id=f"{SOURCE}:O-2").content == "楼上装修噪音（O-2）"


def test_it_keeps_each_sources_order_numbers_apart(cast: Cast) -> None:
    make_source()
    make_source("district-12345")
    imported(xlsx([row("1")]), cast.dispatcher)
    check = check_file(xlsx([row("1")]), file_name="x.xlsx", source="district-12345", by=SYSTEM)
    record = confirm_import(record_check(check, by=SYSTEM).pk, by=SYSTEM)
    assert record.created_count == 1
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == [
        "city-12345:1",
        "district-12345:1",
    ]


def test_it_refuses_a_file_that_is_no_sheet_or_lacks_a_mapped_column(cast: Cast) -> None:
    make_source()
    with pytest.raises(InvalidInput) as no_sheet:
        checked(b"\xd0\xcf\x11\xe0 an old .xls", cast.dispatcher)
    assert ".xls" in no_sheet.value.message
    with pytest.raises(InvalidInput) as not_utf8:
        checked("工单编号\n".encode("utf-16"), cast.dispatcher)
    assert not_utf8.value.field == "file"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["工单编号", "内容"])
    with pytest.raises(InvalidInput) as missing:
        checked(xlsx([["1", "x"]], headers=["工单编号", "内容"]), cast.dispatcher)
    assert "诉求内容" in missing.value.message


def test_only_the_command_centres_dispatchers_import(cast: Cast) -> None:
    make_source()
    assert can_import_tickets(cast.dispatcher) and not can_import_tickets(cast.supervisor)
    with pytest.raises(Forbidden):
        checked(xlsx([row("P-1")]), cast.supervisor)


def test_it_runs_a_long_import_in_the_workers_job_chunk_by_chunk(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_source()
    rows = [row(f"L-{number}", unit="", due_at="") for number in range(2000)]
    record = record_check(checked(xlsx(rows), cast.dispatcher), by=cast.dispatcher)
    assert record.rows_total == 2000
    record = confirm_import(record.pk, by=cast.dispatcher)
    assert (record.state, record.next_row) == ("confirmed", 0)  # left to the worker
    assert not Ticket.objects.exists()
    # The worker stops after its first chunk (asked to stop): the import waits, confirmed.
    stops = iter([False, False, True])
    turn = run_due_imports(NOW, should_stop=lambda: next(stops, True))
    record.refresh_from_db()
    assert (turn.worked, record.state, record.next_row) == (1, "confirmed", 200)
    assert Ticket.objects.count() == 200
    outcome = run_imports(NOW, lambda: False)
    record.refresh_from_db()
    assert outcome.counts == {"imports_worked": 1, "imports_finished": 1}
    assert (record.state, record.created_count, record.next_row) == ("done", 2000, 2000)
    assert Ticket.objects.count() == 2000
    assert all(ticket.registered_by_id == cast.dispatcher.pk for ticket in Ticket.objects.all()[:5])


def test_a_failed_chunk_writes_nothing_and_the_import_resumes_there(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_source()
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    content = xlsx([row(f"F-{number}") for number in range(7)])
    record = record_check(checked(content, cast.dispatcher), by=cast.dispatcher)
    real = imports.register_tickets
    calls = {"count": 0}

    def flaky(drafts: Any, *, by: Any) -> Any:
        calls["count"] += 1
        results = real(drafts, by=by)
        if calls["count"] == 2:  # the second chunk, once its tickets are written
            raise RuntimeError("the disk is full")
        return results

    monkeypatch.setattr(imports, "register_tickets", flaky)
    record = confirm_import(record.pk, by=cast.dispatcher)
    assert (record.state, record.next_row, record.created_count) == ("failed", 3, 3)
    assert "the disk is full" in record.failure
    assert Ticket.objects.count() == 3  # the second chunk's tickets were undone
    record = confirm_import(record.pk, by=cast.dispatcher)  # resumed
    assert (record.state, record.next_row, record.created_count) == ("done", 7, 7)
    assert Ticket.objects.count() == 7


def test_a_running_import_whose_worker_died_is_taken_on_again(cast: Cast) -> None:
    make_source()
    record = record_check(checked(xlsx([row("R-1")]), cast.dispatcher), by=cast.dispatcher)
    TicketImport.objects.filter(pk=record.pk).update(
        state=ImportState.RUNNING, confirmed_by=cast.dispatcher, heartbeat_at=NOW
    )
    assert run_due_imports(NOW + dt.timedelta(minutes=1)).worked == 0
    assert run_due_imports(NOW + dt.timedelta(minutes=6)).finished == 1
    assert Ticket.objects.count() == 1


def test_it_keeps_row_errors_as_codes_and_words_them_in_the_readers_language(
    cast: Cast,
) -> None:
    make_source()
    content = xlsx([row("L-1", category="no_such"), row("L-2", received_at="2026/2/30 9:00")])
    record = record_check(checked(content, cast.dispatcher), by=cast.dispatcher)
    assert record.errors == [
        {"row": 2, "column": "类别编码", "code": "category", "params": {"code": "no_such"}},
        {
            "row": 3,
            "column": "受理时间",
            "code": "not_a_date",
            "params": {"value": "2026/2/30 9:00"},
        },
    ]
    client = Client()
    client.force_login(cast.dispatcher)
    chinese = client.get(f"/imports/{record.pk}/").content.decode()
    assert "未知类别编码 no_such" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(f"/imports/{record.pk}/").content.decode()
    assert "Unknown category code no_such." in english
    assert "2026/2/30 9:00 is not a date or time" in english


def test_the_import_page_writes_numbers_with_thousands_separated(cast: Cast) -> None:
    make_source()
    client = Client()
    client.force_login(cast.dispatcher)
    page = client.get("/imports/").content.decode()
    assert "50,000" in page
