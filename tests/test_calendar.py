"""Working-day deadlines: official holidays, make-up days, overrides, and years without data."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jieban.errors import InvalidInput
from jieban.workcalendar import workdays
from tests.conftest import local

pytestmark = pytest.mark.django_db


def due(year: int, month: int, day: int, days: int, hour: int = 10) -> dt.datetime:
    return workdays.compute_deadline(local(year, month, day, hour), days).due_at


class TestDeadlines:
    def test_it_counts_from_the_day_after_dispatch(self) -> None:
        # Monday 2026-03-02: Tue..Fri are 4 working days, Monday 9th the 5th.
        assert due(2026, 3, 2, 5) == local(2026, 3, 9, 23, 59).replace(second=59)
        assert due(2026, 3, 2, 1) == local(2026, 3, 3, 23, 59).replace(second=59)

    def test_it_ends_at_235959_local_time(self) -> None:
        deadline = due(2026, 3, 2, 1)
        assert (deadline.hour, deadline.minute, deadline.second) == (23, 59, 59)
        assert deadline.utcoffset() == dt.timedelta(hours=8)

    def test_it_counts_the_spring_festival_make_up_days(self) -> None:
        # Friday 13 Feb: Sat 14 is a make-up working day, 15-23 Feb the holiday.
        assert due(2026, 2, 13, 1).date() == dt.date(2026, 2, 14)
        assert due(2026, 2, 13, 2).date() == dt.date(2026, 2, 24)
        assert due(2026, 2, 13, 5).date() == dt.date(2026, 2, 27)
        # Saturday 28 Feb is a make-up working day as well.
        assert due(2026, 2, 13, 6).date() == dt.date(2026, 2, 28)

    def test_it_skips_labour_day_and_counts_its_make_up_saturday(self) -> None:
        # Thursday 30 April: 1-5 May off, Sat 9 May worked.
        assert due(2026, 4, 30, 1).date() == dt.date(2026, 5, 6)
        assert due(2026, 4, 30, 4).date() == dt.date(2026, 5, 9)
        assert due(2026, 4, 30, 5).date() == dt.date(2026, 5, 11)

    def test_it_skips_national_day_week(self) -> None:
        # Wednesday 30 September: 1-7 October off, Sat 10 October worked.
        assert due(2026, 9, 30, 1).date() == dt.date(2026, 10, 8)
        assert due(2026, 9, 30, 3).date() == dt.date(2026, 10, 10)
        assert due(2026, 9, 30, 5).date() == dt.date(2026, 10, 13)

    def test_a_dispatch_late_at_night_counts_its_local_day(self) -> None:
        # 23:30 in Shanghai on Monday is still Monday, though it is Monday 15:30 UTC.
        assert due(2026, 3, 2, 1, hour=23) == due(2026, 3, 2, 1, hour=1)

    def test_it_records_the_official_calendar(self) -> None:
        deadline = workdays.compute_deadline(local(2026, 6, 1), 5)
        assert deadline.basis == workdays.BASIS_OFFICIAL
        assert deadline.warning is None

    def test_it_falls_back_to_weekends_and_says_so_in_a_year_without_data(self) -> None:
        year = max(workdays.official_years()) + 1
        # The first Monday of January that year.
        monday = dt.date(year, 1, 4)
        while monday.weekday() != 0:
            monday += dt.timedelta(days=1)
        deadline = workdays.compute_deadline(local(year, 1, monday.day), 5)
        assert deadline.due_at.date() == monday + dt.timedelta(days=7)
        assert deadline.basis == workdays.BASIS_WEEKENDS_ONLY
        assert deadline.warning is not None and str(year) in deadline.warning

    def test_it_refuses_absurd_day_counts(self) -> None:
        with pytest.raises(InvalidInput):
            workdays.compute_deadline(local(2026, 3, 2), 0)


class TestOverrides:
    def test_an_override_holiday_pushes_the_deadline(self) -> None:
        workdays.set_override(date=dt.date(2026, 3, 3), kind="holiday", source="县政府通知")
        assert due(2026, 3, 2, 1).date() == dt.date(2026, 3, 4)

    def test_an_override_working_day_counts_a_saturday(self) -> None:
        workdays.set_override(date=dt.date(2026, 3, 7), kind="workday", source="调休通知")
        assert due(2026, 3, 6, 1).date() == dt.date(2026, 3, 7)

    def test_overrides_fill_a_year_without_data(self) -> None:
        year = max(workdays.official_years()) + 1
        workdays.set_override(date=dt.date(year, 1, 1), kind="holiday", source="国办发明电")
        days, official = workdays.year_calendar(year)
        assert not official
        assert [(d.date, d.is_workday, d.source) for d in days] == [
            (dt.date(year, 1, 1), False, "override")
        ]

    def test_it_requires_a_source_and_a_known_kind(self) -> None:
        with pytest.raises(InvalidInput) as missing:
            workdays.set_override(date=dt.date(2026, 3, 3), kind="holiday", source=" ")
        assert missing.value.field == "source"
        with pytest.raises(InvalidInput) as kind:
            workdays.set_override(date=dt.date(2026, 3, 3), kind="party", source="x")
        assert kind.value.field == "kind"

    def test_setting_twice_replaces_the_override(self) -> None:
        workdays.set_override(date=dt.date(2026, 3, 3), kind="holiday", source="a")
        workdays.set_override(date=dt.date(2026, 3, 3), kind="workday", source="b")
        days, _official = workdays.year_calendar(2026)
        override = [d for d in days if d.date == dt.date(2026, 3, 3)]
        assert [(d.is_workday, d.note) for d in override] == [(True, "b")]


class TestCalendarCommand:
    def run(self, *args: str) -> tuple[str, str]:
        out, err = StringIO(), StringIO()
        call_command("calendar", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_it_prints_the_deadline_first(self) -> None:
        out, _err = self.run("due", "2026-02-13", "--days", "5")
        assert out.splitlines()[0] == "2026-02-27T23:59:59+08:00"

    def test_it_sets_an_override_used_by_due(self) -> None:
        self.run("set", "2026-02-27", "holiday", "--source", "测试通知")
        out, _err = self.run("due", "2026-02-13", "--days", "5")
        assert out.splitlines()[0] == "2026-02-28T23:59:59+08:00"

    def test_it_warns_on_stderr_without_official_data(
        self, capfd: pytest.CaptureFixture[str]
    ) -> None:
        year = max(workdays.official_years()) + 1
        out, _err = self.run("due", f"{year}-03-02", "--days", "1")
        assert out.splitlines()[0].startswith(f"{year}-03-0")
        captured = capfd.readouterr()
        assert "warning:" in captured.err

    def test_it_rejects_a_bad_date(self) -> None:
        with pytest.raises(CommandError):
            self.run("due", "2026-02-30", "--days", "5")
