"""Bulk entry of building heads from an Excel sheet: each row a building head (found by phone
or added without a password) and a letter issued through `issue_appointment`; every wrong row
reported with its row and column; nothing written when any row is wrong; bad files refused
with a clear message, never a crash."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook

from jieban.community import bulk_entry
from jieban.community.actions import create_building
from jieban.community.bulk_entry import (
    MAX_ROWS,
    BulkEntryRefused,
    enter_building_heads,
    read_sheet,
)
from jieban.community.models import Appointment, Building
from jieban.errors import Forbidden, InvalidInput
from jieban.org.actions import create_unit
from jieban.org.models import Role, User
from jieban.sheets import RowError
from tests.conftest import Cast, local

HEADERS = ["Name", "Phone", "Buildings", "Term starts", "Term ends"]
CHINESE_HEADERS = ["姓名", "电话", "楼栋", "聘期开始", "聘期结束"]


@pytest.fixture(autouse=True)
def _in_english_on_a_fixed_day() -> Iterator[None]:
    with translation.override("en"), time_machine.travel(local(2026, 3, 11, 10), tick=False):
        yield


@pytest.fixture
def buildings(cast: Cast) -> dict[str, Building]:
    create_unit(code="COM-B1", kind="community", name="乙一社区", parent="PS-B")
    create_unit(code="G-B1", kind="grid", name="乙第一网格", parent="COM-B1")
    made = {
        name: create_building(
            grid=grid, kind="building", name=name, address="幸福路", by=cast.admin
        )
        for grid, name in (("G-01", "1栋"), ("G-01", "2栋"), ("G-02", "3栋"), ("G-B1", "乙1栋"))
    }
    # The same name in two grids of station A: named as "grid code/name".
    made["G-02/1栋"] = create_building(
        grid="G-02", kind="building", name="1栋", address="幸福路", by=cast.admin
    )
    return made


def sheet(*rows: list[Any], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    page = book.active
    assert page is not None
    page.append(headers)
    for row in rows:
        page.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_bytes(content: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook `content` with `old` replaced by `new` in its parts."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info.filename).replace(old, new))
    return buffer.getvalue()


def refused(content: bytes, by: Any, **options: Any) -> list[tuple[int, str]]:
    with pytest.raises(BulkEntryRefused) as caught:
        enter_building_heads(content, by=by, **options)
    return [(error.row, error.column) for error in caught.value.errors]


def messages_of(content: bytes, by: Any) -> list[RowError]:
    with pytest.raises(BulkEntryRefused) as caught:
        enter_building_heads(content, by=by)
    return caught.value.errors


def written() -> tuple[int, int]:
    return User.objects.count(), Appointment.objects.count()


class TestEntry:
    def test_each_row_makes_a_building_head_and_a_letter(
        self, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        cast.building_head.phone = "13900000002"
        cast.building_head.save()
        content = sheet(
            ["王秀英", "138-0000-0001", "G-01/1栋、2栋", "2026-04-01", dt.datetime(2029, 3, 31)],
            ["马桂兰", 13900000002, "G-02/1栋,3栋", dt.date(2026, 4, 1), "2029/03/31"],
        )
        entry = enter_building_heads(content, by=cast.leader_a)
        assert [letter.number for letter in entry.letters] == ["PS-A-2026-001", "PS-A-2026-002"]
        added = User.objects.get(phone="13800000001")
        assert entry.created == [added]
        assert (added.username, added.first_name, added.role, added.unit.code) == (
            "13800000001", "王秀英", Role.BUILDING_HEAD, "G-01",
        )  # fmt: skip
        # No password until an administrator sets one.
        assert not added.has_usable_password()
        first, second = entry.letters
        assert set(first.buildings.all()) == {buildings["1栋"], buildings["2栋"]}
        assert (first.starts_on, first.ends_on) == (dt.date(2026, 4, 1), dt.date(2029, 3, 31))
        assert second.person == cast.building_head  # found by phone, not added again
        assert set(second.buildings.all()) == {buildings["G-02/1栋"], buildings["3栋"]}
        assert first.created_by == cast.leader_a

    def test_headers_in_chinese_are_read_too(
        self, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        content = sheet(
            ["王秀英", "13800000001", "2栋", "2026-04-01", "2029-03-31"], headers=CHINESE_HEADERS
        )
        assert len(enter_building_heads(content, by=cast.leader_a).letters) == 1

    def test_an_administrator_names_the_station(
        self, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        content = sheet(["王秀英", "13800000001", "乙1栋", "2026-04-01", "2029-03-31"])
        assert refused(content, cast.admin, station="PS-A") == [(2, "Buildings")]
        with pytest.raises(InvalidInput) as caught:
            enter_building_heads(content, by=cast.admin)
        assert caught.value.field == "station"
        entry = enter_building_heads(content, by=cast.admin, station="PS-B")
        assert entry.letters[0].number == "PS-B-2026-001"

    def test_only_letter_issuers_may(self, cast: Cast, buildings: dict[str, Building]) -> None:
        content = sheet(["王秀英", "13800000001", "2栋", "2026-04-01", "2029-03-31"])
        for person in (cast.dispatcher, cast.building_head, cast.handler_a):
            with pytest.raises(Forbidden):
                enter_building_heads(content, by=person)
        assert not Appointment.objects.exists()


class TestRowErrors:
    def test_every_wrong_row_is_named_and_nothing_is_written(
        self, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        cast.handler_a.phone = "13700000007"
        cast.handler_a.save()
        before = written()
        content = sheet(
            ["张一", "13800000001", "2栋", "2026-04-01", "2029-03-31"],  # right
            ["张二", "13800000002", "9栋", "2026-04-01", "2029-03-31"],  # unknown building
            ["张三", "13800000003", "乙1栋", "2026-04-01", "2029-03-31"],  # outside the area
            ["张四", "13800000004", "2栋", "2026-13-01", "2029-03-31"],  # not a date
            ["张五", "13800000005", "2栋", "2026-04-01", "2025-03-31"],  # ends before it starts
            ["张一", "13800000001", "2栋", "2026-04-01", "2029-03-31"],  # row 2 again
            ["张六", "call me", "2栋", "2026-04-01", "2029-03-31"],  # not a phone
            ["张七", "13700000007", "2栋", "2026-04-01", "2029-03-31"],  # a handler's phone
            ["", "13800000008", "", "", "2029-03-31"],  # no name, buildings, start
            ["张九", "13800000009", "G-01/1栋", "2026-04-01", "2029-03-31"],  # right
        )
        errors = messages_of(content, cast.leader_a)
        assert [(error.row, error.column) for error in errors] == [
            (3, "Buildings"),
            (4, "Buildings"),
            (5, "Term starts"),
            (6, "Term ends"),
            (7, "Phone"),
            (8, "Phone"),
            (9, "Phone"),
            (10, "Name"),
            (10, "Buildings"),
            (10, "Term starts"),
        ]
        by_row = {error.row: error.message for error in errors}
        assert "no such building" in by_row[3]
        assert "not a building of your station's area" in by_row[4]
        assert "not a date" in by_row[5]
        assert "ends before it starts" in by_row[6]
        assert "duplicate of row 2" in by_row[7]
        assert "not a phone number" in by_row[8]
        assert "Unit handler" in by_row[9] and "not a building head" in by_row[9]
        assert written() == before

    def test_a_name_two_grids_share_must_name_its_grid(
        self, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        # "1栋" is in G-01 and G-02, both station A's: the name alone is ambiguous.
        content = sheet(["王秀英", "13800000001", "1栋", "2026-04-01", "2029-03-31"])
        errors = messages_of(content, cast.leader_a)
        assert [(e.row, e.column) for e in errors] == [(2, "Buildings")]
        assert "grid code/name" in errors[0].message

    def test_huge_cells_and_control_characters_are_row_errors(
        self, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        # openpyxl writes no control character: one is put into the sheet's XML afterwards.
        content = with_bytes(
            sheet(
                ["王" * 1000, "13800000001", "2栋", "2026-04-01", "2029-03-31"],
                ["王秀英DEL", "13800000002", "2栋", "2026-04-01", "2029-03-31"],
                ["马" * 61, "13800000003", "2栋", "2026-04-01", "2029-03-31"],
            ),
            b"DEL",
            b"\x7f",
        )
        errors = messages_of(content, cast.leader_a)
        assert [(e.row, e.column) for e in errors] == [(2, "Name"), (3, "Name"), (4, "Name")]
        assert "longer than 200" in errors[0].message
        assert "U+007F" in errors[1].message
        assert "longer than 60" in errors[2].message

    def test_a_character_xml_cannot_hold_makes_a_bad_file(self, cast: Cast) -> None:
        content = with_bytes(
            sheet(["王秀英ESC", "13800000002", "2栋", "2026-04-01", "2029-03-31"]),
            b"ESC",
            b"\x1b",
        )
        with pytest.raises(InvalidInput, match="not an Excel workbook"):
            read_sheet(content)

    def test_a_refusal_while_writing_undoes_the_rows_before_it(
        self, cast: Cast, buildings: dict[str, Building], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The second letter is refused after the first row's person and letter were written:
        # the one transaction takes both back.
        issue = bulk_entry.issue_appointment
        calls: list[str] = []

        def refuse_the_second(**fields: Any) -> Appointment:
            calls.append(fields["person"])
            if len(calls) == 2:
                raise InvalidInput("refused", field="buildings")
            return issue(**fields)

        monkeypatch.setattr(bulk_entry, "issue_appointment", refuse_the_second)
        before = written()
        content = sheet(
            ["张一", "13800000001", "2栋", "2026-04-01", "2029-03-31"],
            ["张二", "13800000002", "3栋", "2026-04-01", "2029-03-31"],
        )
        assert refused(content, cast.leader_a) == [(3, "Buildings")]
        assert calls == ["13800000001", "13800000002"]
        assert written() == before


class TestBadFiles:
    @pytest.mark.parametrize(
        ("content", "words"),
        [
            (b"", "empty"),
            (b"name,phone\n", "not an Excel workbook"),
            (b"PK\x03\x04 broken", "not an Excel workbook"),
            (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
        ],
        ids=["empty", "csv", "broken zip", "too large"],
    )
    def test_a_file_that_is_no_workbook(self, cast: Cast, content: bytes, words: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            enter_building_heads(content, by=cast.leader_a)
        assert words in caught.value.message
        assert caught.value.field == "file"

    def test_a_zip_that_is_no_workbook(self, cast: Cast) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hello")
        with pytest.raises(InvalidInput, match="not an Excel workbook"):
            read_sheet(buffer.getvalue())

    def test_a_zip_bomb_is_refused_before_it_is_read(self, cast: Cast) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (31 * 1024 * 1024))
        assert len(buffer.getvalue()) < 100_000
        with pytest.raises(InvalidInput, match="too large once unpacked"):
            read_sheet(buffer.getvalue())

    def test_wrong_headers_no_rows_and_too_many_rows(self, cast: Cast) -> None:
        with pytest.raises(InvalidInput, match="missing: Buildings"):
            read_sheet(sheet(["王秀英", "138", "1栋", "", ""], headers=["Name", "Phone", "Term"]))
        with pytest.raises(InvalidInput, match="no building head"):
            read_sheet(sheet([None, None, "", None, None]))
        rows = [["王秀英", "13800000001", "1栋", "2026-04-01", "2029-03-31"]] * (MAX_ROWS + 1)
        with pytest.raises(InvalidInput, match=f"more than {MAX_ROWS} rows"):
            read_sheet(sheet(*rows))
        assert len(read_sheet(sheet(*rows[:MAX_ROWS]))) == MAX_ROWS


class TestPage:
    def test_the_template_round_trips(
        self, client: Client, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        client.force_login(cast.leader_a)
        client.cookies["django_language"] = "en"
        answer = client.get("/appointments/bulk/template.xlsx")
        assert answer.status_code == 200
        book = load_workbook(io.BytesIO(answer.content))
        heads, places = book.worksheets
        assert [cell.value for cell in heads[1]] == HEADERS
        listed = {row[2] for row in places.iter_rows(min_row=2, values_only=True)}
        assert listed == {"1栋", "2栋", "3栋"}  # station A's area only (1栋 twice)
        heads.append(["王秀英", "13800000001", "2栋", "2026-04-01", "2029-03-31"])
        filled = io.BytesIO()
        book.save(filled)
        filled.seek(0)
        filled.name = "filled.xlsx"
        answer = client.post("/appointments/bulk/", {"file": filled})
        assert answer.status_code == 302, answer.content.decode()
        assert Appointment.objects.get().person.phone == "13800000001"

    def test_errors_are_shown_with_the_form(
        self, client: Client, cast: Cast, buildings: dict[str, Building]
    ) -> None:
        client.force_login(cast.leader_a)
        client.cookies["django_language"] = "en"
        upload = io.BytesIO(sheet(["王秀英", "13800000001", "9栋", "2026-04-01", "2029-03-31"]))
        upload.name = "heads.xlsx"
        answer = client.post("/appointments/bulk/", {"file": upload})
        page = answer.content.decode()
        assert answer.status_code == 400
        assert 'data-testid="bulk-errors"' in page and 'data-row="2"' in page
        assert "9栋: no such building." in page
        upload = io.BytesIO(b"not a workbook")
        upload.name = "heads.xlsx"
        answer = client.post("/appointments/bulk/", {"file": upload})
        assert answer.status_code == 400
        assert "not an Excel workbook" in answer.content.decode()
        assert not Appointment.objects.exists()

    def test_others_are_refused(self, client: Client, cast: Cast) -> None:
        for person in (cast.dispatcher, cast.building_head, cast.handler_a):
            client.force_login(person)
            assert client.get("/appointments/bulk/").status_code == 403
            assert client.get("/appointments/bulk/template.xlsx").status_code == 403


class TestCommand:
    def test_it_imports_or_names_the_wrong_rows(
        self, cast: Cast, buildings: dict[str, Building], tmp_path: Path
    ) -> None:
        path = tmp_path / "heads.xlsx"
        path.write_bytes(sheet(["王秀英", "13800000001", "9栋", "2026-04-01", "2029-03-31"]))
        out = io.StringIO()
        with pytest.raises(CommandError, match="nothing was written"):
            call_command("appointments", "import", str(path), "--unit", "PS-A", stdout=out)
        assert "row 2\tBuildings\t9栋: no such building." in out.getvalue()
        path.write_bytes(sheet(["王秀英", "13800000001", "2栋", "2026-04-01", "2029-03-31"]))
        out = io.StringIO()
        call_command("appointments", "import", str(path), "--unit", "PS-A", stdout=out)
        assert "PS-A-2026-001\t13800000001" in out.getvalue()
        assert Appointment.objects.get().created_by is None  # the system issued it
        with pytest.raises(CommandError, match="No such file"):
            call_command("appointments", "import", str(tmp_path / "none.xlsx"), "--unit", "PS-A")
