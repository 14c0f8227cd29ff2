"""`jieban unit list` and `jieban unit add`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.org.actions import create_unit
from jieban.org.models import CommitteeLevel, Unit, UnitKind


class Command(BaseCommand):
    help = "List or add organisation units."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "list", help="one unit a line: code, kind, name, parent code (tab-separated)"
        )
        add = sub.add_parser("add", help="add a unit")
        add.add_argument("code")
        add.add_argument("--kind", required=True, choices=UnitKind.values)
        add.add_argument("--name", required=True)
        add.add_argument("--name-en", default="")
        add.add_argument("--parent", default=None, help="code of the parent unit")
        add.add_argument(
            "--level",
            default="",
            choices=["", *CommitteeLevel.values],
            help="a mediation committee's level (--kind committee only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for unit in Unit.objects.select_related("parent").order_by("code"):
                parent = unit.parent.code if unit.parent else ""
                self.stdout.write(f"{unit.code}\t{unit.kind}\t{unit.name}\t{parent}")
            return
        try:
            unit = create_unit(
                code=options["code"],
                kind=options["kind"],
                name=options["name"],
                name_en=options["name_en"],
                parent=options["parent"],
                level=options["level"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(unit.code)
