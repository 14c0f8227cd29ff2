"""`jieban user create USERNAME --role ROLE --unit CODE [--password P]`, `jieban user
deactivate|activate USERNAME`, `jieban user unlock USERNAME | --address IP`."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.org.actions import create_person, set_person_active
from jieban.org.actors import SYSTEM
from jieban.org.lockouts import lift_lockout
from jieban.org.models import Role, User


class Command(BaseCommand):
    help = (
        "Create a person with one role in one unit; deactivate or activate a person; lift a"
        " login lockout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a person")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--unit", default=None, help="code of the person's unit")
        create.add_argument("--password", default=None, help="generated and printed if omitted")
        create.add_argument("--name", default="", help="full name")
        for action, text in (
            ("deactivate", "deactivate a person: no more logins or API calls (never deleted)"),
            ("activate", "let a deactivated person log in again"),
        ):
            sub.add_parser(action, help=text).add_argument("username")
        unlock = sub.add_parser(
            "unlock", help="lift a login lockout: forget an account's or an address's failures"
        )
        unlock.add_argument("username", nargs="?", default="")
        unlock.add_argument("--address", default="", help="an IP address instead of an account")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "unlock":
                forgotten = lift_lockout(
                    username=options["username"], address=options["address"], by=SYSTEM
                )
                self.stdout.write(f"unlocked\t{forgotten} failure records forgotten")
                return
            if options["action"] in ("deactivate", "activate"):
                person = User.objects.filter(username=options["username"]).first()
                if person is None:
                    raise CommandError(f"no user {options['username']!r}")
                active = options["action"] == "activate"
                changed = set_person_active(person, active=active, by=SYSTEM)
                state = "active" if active else "deactivated"
                self.stdout.write(f"{person.username}\t{state}" + ("" if changed else " already"))
                return
        except DomainError as exc:
            raise CommandError(exc.message) from exc
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
