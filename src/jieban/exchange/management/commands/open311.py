"""`jieban open311 key create NAME` (prints the new key alone on its line), `jieban open311 key
revoke NAME` and `jieban open311 key list`: the Open311 applications' keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jieban.errors import DomainError
from jieban.exchange.models import Open311Key
from jieban.exchange.open311 import issue_open311_key, revoke_open311_key
from jieban.org.actors import SYSTEM


class Command(BaseCommand):
    help = "Issue, revoke and list the keys of the applications that send Open311 requests."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="resource", required=True)
        key = sub.add_parser("key", help="the applications' keys")
        actions = key.add_subparsers(dest="action", required=True)
        create = actions.add_parser(
            "create", help="issue a key; it is printed once, alone on its line, and stored hashed"
        )
        create.add_argument("name", help="the application's name")
        revoke = actions.add_parser("revoke", help="revoke the application's key")
        revoke.add_argument("name", help="the application's name")
        actions.add_parser(
            "list", help="one key a line: name, prefix, created, revoked (tab-separated)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for key in Open311Key.objects.order_by("name"):
                revoked = key.revoked_at.isoformat() if key.revoked_at else ""
                self.stdout.write(
                    f"{key.name}\t{key.prefix}…\t{key.created_at.isoformat()}\t{revoked}"
                )
            return
        try:
            # An operator's command acts as the system (ARCHITECTURE.md, "Following a request").
            if action == "create":
                _key, raw = issue_open311_key(options["name"], by=SYSTEM)
                self.stdout.write(raw)
            else:
                key = revoke_open311_key(options["name"], by=SYSTEM)
                assert key.revoked_at is not None
                self.stdout.write(f"{key.name}\trevoked {key.revoked_at.isoformat()}")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
