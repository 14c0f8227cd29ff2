"""`jieban user create USERNAME --role ROLE --unit CODE [--password P]`."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.org.actions import create_person
from jieban.org.models import Role


class Command(BaseCommand):
    help = "Create a person with one role in one unit."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a person")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--unit", default=None, help="code of the person's unit")
        create.add_argument("--password", default=None, help="generated and printed if omitted")
        create.add_argument("--name", default="", help="full name")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or secrets.token_urlsafe(12)
        try:
            person = create_person(
                username=options["username"],
                role=options["role"],
                unit=options["unit"],
                password=password,
                full_name=options["name"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{person.username}\t{person.role}\t{options['unit'] or ''}")
        if not options["password"]:
            self.stdout.write(f"password: {password}")
