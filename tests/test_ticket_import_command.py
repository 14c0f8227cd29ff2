"""`jieban import source NAME` and `jieban import tickets FILE --source NAME [--dry-run]`:
the command checks the file, lists each wrong cell and writes nothing when any row is wrong,
counts without writing on a dry run, imports as the system, and the same file twice changes
nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from jieban.exchange.models import ImportSource, TicketImport
from jieban.tickets.models import Ticket
from tests.conftest import Cast, local
from tests.ticket_sheets import SOURCE, csv_file, make_source, row, xlsx

NOW = local(2026, 3, 11, 10)


@pytest.fixture(autouse=True)
def _at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def sheet(tmp_path: Path, content: bytes, name: str = "工单.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


class TestSource:
    def test_it_makes_a_source_from_the_usual_headers_and_changes_a_column(self, db: Any) -> None:
        out = run("source", SOURCE, "--column", "title=工单标题", "--column", "address=")
        assert f"created source {SOURCE}" in out
        source = ImportSource.objects.get(name=SOURCE)
        assert source.mapping["order_number"] == "工单编号"
        assert source.mapping["title"] == "工单标题"
        assert "address" not in source.mapping
        assert "changed source" in run("source", SOURCE, "--channel", "other")
        source.refresh_from_db()
        assert (source.channel, source.mapping["title"]) == ("other", "工单标题")

    def test_it_refuses_a_bad_name_or_column(self, db: Any) -> None:
        with pytest.raises(CommandError, match="city-12345"):
            run("source", "City 12345")
        with pytest.raises(CommandError, match="FIELD=HEADER"):
            run("source", SOURCE, "--column", "colour=红")
        with pytest.raises(CommandError, match="诉求内容"):
            run("source", SOURCE, "--column", "content=")


class TestTickets:
    def test_it_imports_a_sheet_as_the_system(self, cast: Cast, tmp_path: Path) -> None:
        make_source()
        out = run("tickets", sheet(tmp_path, xlsx([row("1"), row("2")])), "--source", SOURCE)
        assert "2 rows: 2 new, 0 already there." in out
        assert "2 tickets created, 0 already there, 0 refused." in out
        assert Ticket.objects.count() == 2
        assert Ticket.objects.filter(registered_by=None).count() == 2  # the system

    def test_it_counts_without_writing_on_a_dry_run(self, cast: Cast, tmp_path: Path) -> None:
        make_source()
        path = sheet(tmp_path, xlsx([row("1"), row("2")]))
        out = run("tickets", path, "--source", SOURCE, "--dry-run")
        assert "2 rows: 2 new, 0 already there." in out
        assert "Dry run: nothing was written." in out
        assert not Ticket.objects.exists()
        assert not TicketImport.objects.exists()

    def test_it_lists_the_wrong_rows_and_writes_nothing(self, cast: Cast, tmp_path: Path) -> None:
        make_source()
        path = sheet(tmp_path, xlsx([row("1"), row("2", unit="PS-Z"), row("3", due_at="明天")]))
        out = StringIO()
        with pytest.raises(CommandError, match="2 errors in the sheet: nothing was written"):
            call_command("import", "tickets", path, "--source", SOURCE, stdout=out)
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("row 3\t承办单位编码\t") and "PS-Z" in lines[0]
        assert lines[1].startswith("row 4\t办理时限\t") and "明天" in lines[1]
        assert not Ticket.objects.exists()

    def test_it_imports_the_same_file_once(self, cast: Cast, tmp_path: Path) -> None:
        make_source()
        path = sheet(tmp_path, csv_file([row("1")], encoding="gbk"), "工单.csv")
        run("tickets", path, "--source", SOURCE)
        out = run("tickets", path, "--source", SOURCE)
        assert "already imported from city-12345" in out and "nothing changed" in out
        assert Ticket.objects.count() == 1

    def test_it_counts_the_order_numbers_already_there(self, cast: Cast, tmp_path: Path) -> None:
        make_source()
        run("tickets", sheet(tmp_path, xlsx([row("1")]), "一.xlsx"), "--source", SOURCE)
        out = run(
            "tickets", sheet(tmp_path, xlsx([row("1"), row("2")]), "二.xlsx"), "--source", SOURCE
        )
        assert "2 rows: 1 new, 1 already there." in out
        assert "1 tickets created, 1 already there" in out
        assert Ticket.objects.count() == 2

    def test_it_names_an_unknown_source_or_file(self, cast: Cast, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="nowhere"):
            run("tickets", sheet(tmp_path, xlsx([row("1")])), "--source", "nowhere")
        with pytest.raises(CommandError, match="No such file"):
            run("tickets", str(tmp_path / "missing.xlsx"), "--source", SOURCE)
