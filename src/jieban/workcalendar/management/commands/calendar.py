"""`jieban calendar set DATE holiday|workday --source TEXT`, `due DATE --days N`, `show YEAR`."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.workcalendar import workdays


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "The working-day calendar: overrides, deadlines and the special days of a year."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        set_ = sub.add_parser("set", help="mark a date as holiday or working day")
        set_.add_argument("date")
        set_.add_argument("kind", choices=["holiday", "workday"])
        set_.add_argument("--source", required=True, help="the notice this comes from")
        unset = sub.add_parser("unset", help="remove an override")
        unset.add_argument("date")
        due = sub.add_parser("due", help="deadline of a ticket dispatched on DATE")
        due.add_argument("date")
        due.add_argument("--days", type=int, required=True)
        show = sub.add_parser("show", help="holidays, make-up days and overrides of a year")
        show.add_argument("year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "set":
                override = workdays.set_override(
                    date=_date(options["date"]), kind=options["kind"], source=options["source"]
                )
                self.stdout.write(f"{override.date}\t{override.kind}\t{override.source}")
            elif action == "unset":
                removed = workdays.remove_override(date=_date(options["date"]))
                self.stdout.write("removed" if removed else "no override on that date")
            elif action == "due":
                day = _date(options["date"])
                # Dispatched at noon local time: any hour of the day gives the same deadline.
                start = dt.datetime.combine(day, dt.time(12), tzinfo=workdays.local_zone())
                deadline = workdays.compute_deadline(start, options["days"])
                self.stdout.write(deadline.due_at.isoformat())
                self.stdout.write(f"calendar: {deadline.basis}")
                if deadline.warning:
                    sys.stderr.write(f"warning: {deadline.warning}\n")
            elif action == "show":
                days, official = workdays.year_calendar(options["year"])
                if not official:
                    sys.stderr.write(
                        f"warning: {workdays.missing_data_warning([options['year']])}\n"
                    )
                for item in days:
                    kind = "workday" if item.is_workday else "holiday"
                    self.stdout.write(f"{item.date}\t{kind}\t{item.source}\t{item.note}")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
